"""The global log never skips an event that commits out of order (invariant 5).

These run on PostgreSQL with real concurrent connections: sequence values are
taken before commit there, so a later position can become visible first.
"""

import random
import threading
import time

import pytest
from django.db import connection, connections, transaction

from eventstore import store
from eventstore.models import Event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def tail(checkpoint: store.Checkpoint, seen: list[store.RecordedEvent]) -> store.Checkpoint:
    while page := store.read_all(after=checkpoint, limit=100):
        seen.extend(page)
        checkpoint = page[-1].checkpoint
    return checkpoint


def test_an_event_committed_after_a_later_one_is_still_delivered():
    appended, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                store.append("slow-1", "slow", [store.NewEvent("Early", {})], store.NO_STREAM)
                appended.set()
                release.wait(10)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert appended.wait(10)
    fast = store.append("fast-1", "fast", [store.NewEvent("Late", {})], store.NO_STREAM)

    seen: list[store.RecordedEvent] = []
    checkpoint = tail(store.START, seen)
    # The later event is committed, but reading it now would move the checkpoint
    # past the open transaction's earlier position.
    assert seen == []
    naive = Event.objects.filter(position__gt=0).values_list("event_type", flat=True)
    assert list(naive) == ["Late"], "a naive position reader would skip Early here"
    release.set()
    writer.join(10)
    tail(checkpoint, seen)

    assert [e.event_type for e in seen] == ["Early", "Late"]
    assert seen[0].position < fast.position


def test_concurrent_writers_with_commit_jitter_lose_and_repeat_nothing():
    writers, per_writer = 6, 40
    done = threading.Event()
    errors: list[BaseException] = []

    def write(n: int):
        rng = random.Random(n)
        try:
            for i in range(per_writer):
                with transaction.atomic():
                    store.append(f"w{n}", "w", [store.NewEvent("Tick", {"i": i})], store.ANY)
                    time.sleep(rng.uniform(0, 0.004))
        except BaseException as error:  # surfaced by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    seen: list[store.RecordedEvent] = []

    def read():
        checkpoint = store.START
        try:
            while not done.is_set():
                checkpoint = tail(checkpoint, seen)
            tail(checkpoint, seen)
        finally:
            connections.close_all()

    reader = threading.Thread(target=read)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    done.set()
    reader.join(60)

    assert errors == []
    ids = [e.event_id for e in seen]
    assert len(ids) == len(set(ids)) == writers * per_writer
    order = [(e.tx_id, e.position) for e in seen]
    assert order == sorted(order)
    for n in range(writers):
        assert [e.data["i"] for e in seen if e.stream_id == f"w{n}"] == list(range(per_writer))
    assert connection.vendor == "postgresql"


def test_a_transaction_open_in_another_database_does_not_hold_the_log_back():
    import psycopg

    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        dbname="postgres",
        autocommit=False,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # takes a transaction id, stays open
            cursor.fetchone()
        store.append("elsewhere-1", "elsewhere", [store.NewEvent("Seen", {})], store.NO_STREAM)
        assert [e.event_type for e in store.read_all()] == ["Seen"]
    finally:
        other.rollback()
        other.close()


def test_a_reader_in_a_transaction_sees_past_transactions_begun_later_in_another_database():
    """PostgreSQL caches what a transaction reads of pg_stat_activity until it ends, so
    a reader must refresh it, or a transaction that began in another database after
    its first read would hold it back for the rest of its transaction."""
    import psycopg

    settings = connection.settings_dict

    def elsewhere() -> psycopg.Connection:
        other = psycopg.connect(
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            dbname="postgres",
        )
        other.execute("SELECT pg_current_xact_id()")  # holds an id, stays open
        return other

    def append_elsewhere_in_time(stream_id: str) -> None:
        def write() -> None:
            try:
                store.append(stream_id, "s", [store.NewEvent("Seen", {})], store.NO_STREAM)
            finally:
                connections.close_all()

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(10)

    first = elsewhere()
    try:
        with transaction.atomic():
            append_elsewhere_in_time("s-1")
            seen = store.read_all()  # consults pg_stat_activity while `first` runs
            first.rollback()
            second = elsewhere()  # began after that read
            try:
                append_elsewhere_in_time("s-2")
                later = store.read_all(after=seen[-1].checkpoint)
                head = store.head()
            finally:
                second.rollback()
                second.close()
    finally:
        first.close()
    assert [e.stream_id for e in seen] == ["s-1"]
    assert [e.stream_id for e in later] == ["s-2"]
    assert head == later[-1].checkpoint
