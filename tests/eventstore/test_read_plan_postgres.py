"""A page of the log is read with the read-order index scanned in order, whatever the
planner's statistics say, and the planner settings that hold it there never outlive
the read (eventstore/recorders/postgresql.py, ``read_page``)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from eventstore import store

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def new_events(count: int) -> list[store.NewEvent]:
    return [store.NewEvent("Noted", {"n": n}) for n in range(count)]


def setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def plans_of_a_read() -> list[str]:
    """The plans PostgreSQL ran for one page of ``read_all``, nested ones included (the
    page is a function's query: its plan is the one that matters), from auto_explain."""
    plans: list[str] = []
    connection.ensure_connection()
    driver = connection.connection
    keep = lambda notice: plans.append(notice.message_primary or "")  # noqa: E731
    driver.add_notice_handler(keep)
    settings = ("log_min_duration", "log_nested_statements", "log_level")
    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for name, value in zip(settings, ("0", "on", "notice"), strict=True):
            cursor.execute(f"SET auto_explain.{name} = {value}")
    try:
        store.read_all(limit=100)
    finally:
        with connection.cursor() as cursor:
            for name in settings:
                cursor.execute(f"RESET auto_explain.{name}")
        driver.remove_notice_handler(keep)
    return plans


def test_a_page_scans_the_read_order_index_even_with_statistics_behind_the_log():
    with connection.cursor() as cursor:  # the planner's picture of an empty table
        cursor.execute("ANALYZE eventstore_event")
    for n in range(30):  # then 1,500 events it has not seen
        store.append(f"plan-{n}", "plan", new_events(50), expected_version=store.NO_STREAM)
    with connection.cursor() as cursor:  # whichever plan the statistics would suggest
        cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = 'eventstore_read_page'")
        assert cursor.fetchone()[0] == ["enable_bitmapscan=off", "enable_sort=off"]
    plans = plans_of_a_read()
    (page,) = [plan for plan in plans if "LIMIT page" in plan]
    assert "Index Scan using event_read_order_idx" in page, page
    assert "Bitmap" not in page and "Sort" not in page, page


def test_the_planner_settings_do_not_outlive_the_read():
    store.append("plan-x", "plan", new_events(3), expected_version=store.NO_STREAM)
    assert len(store.read_all(limit=10)) == 3
    assert (setting("enable_bitmapscan"), setting("enable_sort")) == ("on", "on")
    with transaction.atomic():
        assert len(store.read_all(limit=10)) == 3
        # Inside the caller's transaction, the rest of it plans as always.
        assert (setting("enable_bitmapscan"), setting("enable_sort")) == ("on", "on")
    assert (setting("enable_bitmapscan"), setting("enable_sort")) == ("on", "on")
