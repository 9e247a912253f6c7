"""Every stream reads in version order from the global log, whatever the writers did
before their append (invariant 5). PostgreSQL, real concurrent connections.

A transaction holds its id from its first write on, so one that wrote anything
before appending sorts before appends that committed meanwhile. The store refuses
such an append with ``OrderingConflict`` instead of letting it land out of order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction

from eventstore import store
from eventstore.errors import OrderingConflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def new(event_type: str = "Noted") -> store.NewEvent:
    return store.NewEvent(event_type, {})


def whole_log() -> list[store.RecordedEvent]:
    seen: list[store.RecordedEvent] = []
    checkpoint = store.START
    while page := store.read_all(after=checkpoint, limit=100):
        seen.extend(page)
        checkpoint = page[-1].checkpoint
    return seen


def versions_in_log_order(stream_id: str) -> list[int]:
    return [e.version for e in whole_log() if e.stream_id == stream_id]


def early_transaction(
    take_id: Callable[[], None], append: Callable[[], None], meanwhile: Callable[[], None]
) -> BaseException | None:
    """Run ``take_id`` then ``append`` in one transaction of another connection, with
    ``meanwhile`` committed in between; return what the append raised."""
    took, committed = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = [None]

    def run() -> None:
        try:
            with transaction.atomic():
                take_id()
                took.set()
                committed.wait(10)
                try:
                    append()
                except BaseException as error:
                    outcome[0] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    assert took.wait(10)
    meanwhile()
    committed.set()
    thread.join(10)
    return outcome[0]


def test_an_append_after_an_append_to_another_stream_keeps_version_order():
    error = early_transaction(
        take_id=lambda: store.append("other-1", "other", [new()], store.NO_STREAM),
        append=lambda: store.append("s-1", "s", [new("Second")], 1),
        meanwhile=lambda: store.append("s-1", "s", [new("First")], store.NO_STREAM),
    )
    assert isinstance(error, OrderingConflict)
    assert versions_in_log_order("s-1") == [1]


def test_an_append_after_a_row_lock_keeps_version_order():
    user = get_user_model().objects.create(username="locked")

    def lock_a_row() -> None:
        get_user_model().objects.select_for_update().get(pk=user.pk)

    error = early_transaction(
        take_id=lock_a_row,
        append=lambda: store.append("s-1", "s", [new("Second")], 1),
        meanwhile=lambda: store.append("s-1", "s", [new("First")], store.NO_STREAM),
    )
    assert isinstance(error, OrderingConflict)
    assert versions_in_log_order("s-1") == [1]


def test_any_inside_a_callers_transaction_raises_the_retryable_ordering_conflict():
    error = early_transaction(
        take_id=lambda: store.append("other-1", "other", [new()], store.NO_STREAM),
        append=lambda: store.append("s-1", "s", [new("Third")], store.ANY),
        meanwhile=lambda: store.append("s-1", "s", [new(), new()], store.NO_STREAM),
    )
    assert isinstance(error, OrderingConflict)
    assert versions_in_log_order("s-1") == [1, 2]


def test_a_retry_in_a_fresh_transaction_succeeds_in_order():
    def append_retrying_in_a_fresh_transaction() -> None:
        try:
            store.append("s-1", "s", [new("Second")], 1)
        except OrderingConflict:
            transaction.set_rollback(True)
            raise

    error = early_transaction(
        take_id=lambda: store.append("other-1", "other", [new()], store.NO_STREAM),
        append=append_retrying_in_a_fresh_transaction,
        meanwhile=lambda: store.append("s-1", "s", [new("First")], store.NO_STREAM),
    )
    assert isinstance(error, OrderingConflict)
    store.append("s-1", "s", [new("Second")], 1)
    assert versions_in_log_order("s-1") == [1, 2]


def test_any_never_gives_up_for_a_version_with_eight_writers_on_one_stream():
    writers, per_writer = 8, 40
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait(10)
            for i in range(per_writer):
                store.append("hot-1", "hot", [store.NewEvent("Tick", {"w": n, "i": i})], store.ANY)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    total = writers * per_writer
    assert versions_in_log_order("hot-1") == list(range(1, total + 1))
    for n in range(writers):
        mine = [e.data["i"] for e in whole_log() if e.data.get("w") == n]
        assert mine == list(range(per_writer))
