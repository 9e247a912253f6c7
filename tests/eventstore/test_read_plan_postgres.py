"""A page of the log is read with the read-order index scanned in order, whatever the
planner's statistics say, and the planner settings that hold it there never outlive
the read (eventstore/recorders/postgresql.py, ``in_read_order``)."""

from __future__ import annotations

from typing import Any

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


def read_sql() -> str:
    """The statements ``read_all`` sends for one page, parameters in place."""
    seen: list[str] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        with connection.cursor() as cursor:  # as the driver binds them, client-side
            seen[-1] = cursor.cursor.mogrify(sql, params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        store.read_all(limit=100)
    (sql,) = [s for s in seen if "WITH horizon" in s]
    return sql


def plan_of(sql: str) -> str:
    """EXPLAIN of the page's query, run exactly as ``read_all`` runs it."""
    explained = sql.replace("WITH horizon", "EXPLAIN WITH horizon", 1)
    with connection.cursor() as cursor:
        cursor.execute(explained)
        while cursor.description is None or cursor.description[0].name != "QUERY PLAN":
            assert cursor.nextset()
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_page_scans_the_read_order_index_even_with_statistics_behind_the_log():
    with connection.cursor() as cursor:  # the planner's picture of an empty table
        cursor.execute("ANALYZE eventstore_event")
    for n in range(30):  # then 1,500 events it has not seen
        store.append(f"plan-{n}", "plan", new_events(50), expected_version=store.NO_STREAM)
    plan = plan_of(read_sql())
    assert "Index Scan using event_read_order_idx" in plan, plan
    assert "Bitmap" not in plan, plan


def test_the_planner_settings_do_not_outlive_the_read():
    store.append("plan-x", "plan", new_events(3), expected_version=store.NO_STREAM)
    assert len(store.read_all(limit=10)) == 3
    assert (setting("enable_bitmapscan"), setting("enable_sort")) == ("on", "on")
    with transaction.atomic():
        assert len(store.read_all(limit=10)) == 3
        # Inside the caller's transaction, the rest of it plans as always.
        assert (setting("enable_bitmapscan"), setting("enable_sort")) == ("on", "on")
    assert (setting("enable_bitmapscan"), setting("enable_sort")) == ("on", "on")
