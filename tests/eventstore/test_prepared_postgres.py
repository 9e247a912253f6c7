"""On PostgreSQL the store's fixed statements (the guarded INSERT, a stream's load)
are kept prepared on a connection that lives on, and never prepared where they would
not pay (eventstore/recorders/postgresql.py, ``statement_cursor``)."""

from __future__ import annotations

import itertools

import psycopg
import pytest
from django.db import connection

from eventstore import store
from eventstore.recorders.postgresql import PREPARE_AFTER

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

_numbers = itertools.count()


def prepared() -> list[str]:
    """The statements this connection holds prepared on the server."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def inserts() -> list[str]:
    return [sql for sql in prepared() if "INSERT INTO eventstore_event" in sql]


def new_streams(count: int, events: int = 1) -> list[str]:
    """``count`` new streams of ``events`` events each, one append each; their ids."""
    streams = [f"prepared-{next(_numbers)}" for _ in range(count)]
    for stream in streams:
        new = [store.NewEvent("Noted", {"e": e}) for e in range(events)]
        store.append(stream, "prepared", new, store.NO_STREAM)
    return streams


@pytest.fixture(autouse=True)
def fresh_connection(monkeypatch):
    # The wake-ups' synchronous catch-up would end the connection after each append.
    monkeypatch.setattr(store, "_after_commit_hooks", lambda: ())
    connection.close()  # the server forgets what an earlier test prepared
    yield
    connection.close()


def test_an_append_is_prepared_once_it_has_run_on_the_connection_before():
    new_streams(PREPARE_AFTER)
    assert inserts() == []  # a connection of one request pays no extra round trip
    new_streams(2)
    assert len(inserts()) == 1
    *_, batch = new_streams(PREPARE_AFTER + 1, events=5)  # one text for any batch size
    assert len(inserts()) == 2
    assert [e.version for e in store.read_stream(batch)] == [1, 2, 3, 4, 5]


def test_a_prepared_append_keeps_its_guard():
    *_, stream = new_streams(PREPARE_AFTER + 1)
    assert inserts()
    with pytest.raises(store.ConcurrencyError):
        store.append(stream, "prepared", [store.NewEvent("Noted", {})], store.NO_STREAM)
    store.append(stream, "prepared", [store.NewEvent("Noted", {})], 1)
    assert store.stream_version(stream) == 2


def test_a_load_of_one_stream_is_prepared_too():
    (stream,) = new_streams(1)
    for _ in range(PREPARE_AFTER + 1):
        snapshot, events = store.read_from_snapshot(stream, 1)
    assert snapshot is None and [e.version for e in events] == [1]
    assert len([sql for sql in prepared() if "eventstore_snapshot" in sql]) == 1


def test_a_read_of_several_streams_is_prepared_once_per_number_of_streams():
    first, second = new_streams(2)
    for _ in range(PREPARE_AFTER + 1):
        reads = store.read_from_snapshots([(first, 1), (second, 1)])
    assert [[e.stream_id for e in events] for _, events in reads] == [[first], [second]]
    (sql,) = [sql for sql in prepared() if "eventstore_snapshot" in sql]
    assert "snap1" in sql


def test_prepared_statements_can_be_turned_off(settings):
    settings.EVENTSTORE_PREPARED_STATEMENTS = False
    new_streams(PREPARE_AFTER + 3)
    assert prepared() == []


def test_a_project_that_binds_on_the_server_keeps_its_own_threshold():
    new_streams(1)
    assert connection.connection.prepare_threshold == PREPARE_AFTER
    connection.connection.prepare_threshold = None
    connection.connection.cursor_factory = psycopg.Cursor  # as OPTIONS server_side_binding
    new_streams(PREPARE_AFTER + 2)
    assert connection.connection.prepare_threshold is None
    assert inserts() == []


def test_cursors_someone_wraps_keep_their_wrapper():
    # As the tracing's psycopg instrumentation does: a subclass of the connection's
    # cursor class that sees every statement.
    seen: list[str] = []
    new_streams(1)
    factory = connection.connection.cursor_factory

    class Traced(factory):  # type: ignore[misc,valid-type]
        def execute(self, query, params=None, **kwargs):
            seen.append(str(query))
            return super().execute(query, params, **kwargs)

    connection.connection.cursor_factory = Traced
    new_streams(PREPARE_AFTER + 2)
    assert len([sql for sql in seen if "INSERT INTO eventstore_event" in sql]) == PREPARE_AFTER + 2
    assert inserts() == []
