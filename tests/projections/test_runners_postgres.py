"""One runner per projection, however many run (invariant 7), with real threads and
connections on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from orders.events import CustomerRegistered
from projections.engine import locks, runner
from projections.engine.projection import Projection, handles, register, unregister
from projections.engine.runner import Outcome
from tests.projections.conftest import catch_up
from tests.projections.test_rebuild import busy_history, rebuild_all, snapshot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Probe(Projection):
    """Counts every event applied and notices two runners inside it at once."""

    name = "probe"
    guard = threading.Lock()
    inside = 0
    most_inside = 0
    applied: Counter[int] = Counter()
    hold: threading.Event | None = None
    entered = threading.Event()

    @handles(CustomerRegistered)
    def seen(self, rows, e, r) -> None:
        with self.guard:
            Probe.inside += 1
            Probe.most_inside = max(Probe.most_inside, Probe.inside)
        Probe.entered.set()
        if Probe.hold is not None:
            assert Probe.hold.wait(10)
        with self.guard:
            Probe.applied[r.position] += 1
            Probe.inside -= 1


@pytest.fixture
def probe():
    Probe.inside = Probe.most_inside = 0
    Probe.applied = Counter()
    Probe.hold, Probe.entered = None, threading.Event()
    register(Probe)
    yield Probe
    unregister("probe")


def in_thread(target, *args) -> threading.Thread:
    def run():
        try:
            target(*args)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_second_runner_skips_a_projection_another_runner_holds(shop, probe):
    shop.customer("Ann")
    probe.hold = threading.Event()
    first = in_thread(runner.run_batch, Probe())
    assert probe.entered.wait(10)

    assert runner.run_batch(Probe()).outcome is Outcome.BUSY
    probe.hold.set()
    first.join(10)
    assert runner.run_batch(Probe()).outcome is Outcome.IDLE
    assert list(probe.applied.values()) == [1]


def test_two_runners_apply_every_event_exactly_once_and_never_together(shop, probe, settings):
    for n in range(60):
        shop.customer(f"C{n}")
    settings.PROJECTIONS_BATCH_SIZE = 4
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 4  # live batches grow up to it while behind
    outcomes: list[Outcome] = []

    def run_until_idle():
        while (outcome := runner.run_batch(Probe()).outcome) is not Outcome.IDLE:
            outcomes.append(outcome)

    threads = [in_thread(run_until_idle) for _ in range(2)]
    for thread in threads:
        thread.join(30)

    assert probe.most_inside == 1
    assert len(probe.applied) == 60 and set(probe.applied.values()) == {1}
    assert outcomes.count(Outcome.APPLIED) == 15


def test_a_runner_that_dies_loses_its_lock(shop, probe):
    shop.customer("Ann")
    locks.ensure("probe")
    claimed, release = threading.Event(), threading.Event()
    backend: list[int] = []

    def doomed_runner():
        try:
            with transaction.atomic():
                locks.claim("probe")
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backend.append(cursor.fetchone()[0])
                claimed.set()
                release.wait(10)
        except Exception:
            pass  # its connection was killed under it

    thread = in_thread(doomed_runner)
    assert claimed.wait(10)
    assert runner.run_batch(Probe()).outcome is Outcome.BUSY

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", backend)
    release.set()
    thread.join(10)
    assert runner.run_batch(Probe()).outcome is Outcome.APPLIED


def test_concurrent_runners_build_what_one_runner_builds(shop, settings):
    busy_history(shop, orders=30)
    settings.PROJECTIONS_BATCH_SIZE = 7
    threads = [in_thread(catch_up) for _ in range(3)]
    for thread in threads:
        thread.join(60)
    concurrent = snapshot()

    rebuild_all()
    assert snapshot() == concurrent
