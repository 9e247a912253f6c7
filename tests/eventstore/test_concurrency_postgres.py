"""Optimistic concurrency under real concurrent connections (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connections

from eventstore import store
from eventstore.errors import ConcurrencyError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_writers_racing_for_the_next_version_leave_exactly_one_winner():
    store.append("race-1", "race", [store.NewEvent("Started", {})], store.NO_STREAM)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def race(n: int):
        try:
            barrier.wait(10)
            store.append("race-1", "race", [store.NewEvent("Won", {"by": n})], 1)
            outcomes.append("won")
        except ConcurrencyError as error:
            assert (error.expected, error.actual) == (1, 2)
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    assert [e.version for e in store.read_stream("race-1")] == [1, 2]


def test_writers_appending_with_any_all_succeed_without_holes():
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def write(n: int):
        try:
            barrier.wait(10)
            for _ in range(5):
                store.append("shared-1", "shared", [store.NewEvent("Ping", {"by": n})], store.ANY)
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert [e.version for e in store.read_stream("shared-1")] == list(range(1, 41))


def test_a_longer_batch_losing_the_race_inside_its_transaction_writes_none_of_it():
    """The loser's first event clashes with the winner's; its later versions are free,
    yet none of them is written, and its transaction (no savepoint) goes on."""
    from django.db import transaction

    store.append("race-1", "race", [store.NewEvent("Started", {})], store.NO_STREAM)
    winner_in, loser_sent = threading.Event(), threading.Event()
    outcome: list[object] = []

    def winner() -> None:
        try:
            with transaction.atomic():
                store.append("race-1", "race", [store.NewEvent("Won", {})], 1)
                winner_in.set()
                loser_sent.wait(10)
                time.sleep(0.3)  # the loser now waits on the winner's version 2
        finally:
            connections.close_all()

    def loser() -> None:
        try:
            winner_in.wait(10)
            with transaction.atomic():
                loser_sent.set()
                three = [store.NewEvent("Lost", {"i": i}) for i in range(3)]
                try:
                    store.append("race-1", "race", three, 1)
                except ConcurrencyError as error:
                    outcome.append(error.actual)
                store.append("other-1", "other", [store.NewEvent("Goes on", {})], store.NO_STREAM)
        except BaseException as error:
            outcome.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcome == [2]
    assert [e.event_type for e in store.read_stream("race-1")] == ["Started", "Won"]
    assert store.stream_version("other-1") == 1
