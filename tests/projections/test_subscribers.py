"""The process managers' runner (orders.processes.runner): the checkpoint, lock and
failure bookkeeping of eventstore.subscriptions for what reacts to events by sending
commands, plus a lease held across transactions (a
session lock of the runner's connection on PostgreSQL, a time lease on SQLite)."""

from __future__ import annotations

import datetime as dt
import time

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_q.conf import Conf

from eventstore import store
from eventstore.subscriptions.outcomes import Outcome
from orders.processes import locks
from orders.processes import runner as subscribers
from orders.processes import tasks as process_tasks
from orders.processes.state import ProcessState
from projections.engine import tasks
from projections.engine.status import projection_statuses
from projections.management.commands import catch_up as catch_up_command
from projections.models import OrderDetail, ProjectionState
from tests.projections.conftest import catch_up


class Recorder:
    """Remembers the positions of the customers registered; fails where it is told to."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.reacted: list[int] = []
        self.fail_at: set[int] = set()

    def wants(self, recorded: store.RecordedEvent) -> bool:
        return recorded.event_type == "CustomerRegistered"

    def react(self, recorded: store.RecordedEvent):
        self.reacted.append(recorded.position)
        if recorded.position in self.fail_at:
            raise RuntimeError(f"cannot handle {recorded.position}")
        return lambda: self.seen.append(recorded.position)

    def park(self, recorded, error):
        return None  # nothing to set aside: the runner must stop

    def due(self, now, limit):
        return []

    def parked(self):
        return []

    def retry(self, key):
        return False


@pytest.fixture
def recorder():
    subscriber = subscribers.register(Recorder())
    yield subscriber
    subscribers.unregister("recorder")


def state() -> ProcessState:
    return ProcessState.objects.get(name="recorder")


def positions(shop, count: int) -> list[int]:
    result = []
    for n in range(count):
        shop.customer(f"C{n}")
        result.append(shop.last.position)
    return result


def test_a_subscriber_reacts_once_to_each_event_and_checkpoints_the_last(shop, recorder):
    registered = positions(shop, 3)
    shop.product("MUG", "1.00")

    result = subscribers.run_batch(recorder)

    assert (result.outcome, result.events) == (Outcome.APPLIED, 4)
    assert recorder.seen == registered
    assert state().checkpoint == store.head()
    assert subscribers.run_batch(recorder).outcome is Outcome.IDLE


def another_workers_connection() -> psycopg.Connection:
    """A session of its own on the test database, as another worker process has."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


def outcome_within(seconds: float, expected: Outcome, subscriber) -> Outcome:
    """The outcome of batches run until one is ``expected`` or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while (outcome := subscribers.run_batch(subscriber).outcome) is not expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return outcome


@pytest.fixture
def on_sqlite(on_postgres):
    if on_postgres:
        pytest.skip("on PostgreSQL the lease is a session lock, not a time lease")


@pytest.mark.postgres
def test_a_dead_workers_session_lock_frees_the_subscriber_as_soon_as_its_connection_closes(
    shop, recorder
):
    positions(shop, 1)
    locks.ensure("recorder")
    worker = another_workers_connection()
    worker.execute("SELECT pg_advisory_lock(%s, %s)", locks.advisory_key("recorder"))

    assert subscribers.run_batch(recorder).outcome is Outcome.BUSY
    worker.close()  # the worker is gone, and its session with it
    assert outcome_within(2, Outcome.APPLIED, recorder) is Outcome.APPLIED
    assert recorder.seen and state().checkpoint == store.head()


@pytest.mark.postgres
def test_a_runner_whose_connection_lost_its_session_lock_commits_nothing(
    shop, recorder, monkeypatch
):
    positions(shop, 2)
    worker = another_workers_connection()
    react = recorder.react

    def react_and_lose_the_lock(recorded):
        remember = react(recorded)
        with connection.cursor() as cursor:  # as a connection broken and opened again
            cursor.execute("SELECT pg_advisory_unlock_all()")
        worker.execute("SELECT pg_try_advisory_lock(%s, %s)", locks.advisory_key("recorder"))
        return remember

    monkeypatch.setattr(recorder, "react", react_and_lose_the_lock)
    try:
        assert subscribers.run_batch(recorder).outcome is Outcome.BUSY
    finally:
        worker.close()
    assert recorder.seen == [] and state().checkpoint == store.START


def test_a_runner_nested_in_the_lease_holders_connection_is_busy(shop, recorder):
    """A synchronous task run by a command's wake-up, inside the holder's batch."""
    positions(shop, 1)
    locks.ensure("recorder")
    assert locks.lease("recorder", "outer-runner", subscribers.LEASE) is not None
    try:
        assert subscribers.run_batch(recorder).outcome is Outcome.BUSY
    finally:
        locks.release("recorder", "outer-runner")
    assert subscribers.run_batch(recorder).outcome is Outcome.APPLIED


def test_another_runners_live_lease_makes_a_runner_busy_until_it_expires(shop, recorder, on_sqlite):
    positions(shop, 1)
    locks.ensure("recorder")
    assert locks.lease("recorder", "worker-that-died", dt.timedelta(minutes=1))

    assert subscribers.run_batch(recorder).outcome is Outcome.BUSY
    ProcessState.objects.filter(name="recorder").update(
        leased_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert subscribers.run_batch(recorder).outcome is Outcome.APPLIED
    assert state().leased_by == "", "given back at the end of the batch"


def test_a_runner_that_lost_its_lease_commits_nothing(shop, recorder, monkeypatch, on_sqlite):
    positions(shop, 2)
    react = recorder.react

    def slow_react(recorded):
        remember = react(recorded)
        ProcessState.objects.filter(name="recorder").update(leased_by="a-faster-runner")
        return remember

    monkeypatch.setattr(recorder, "react", slow_react)

    assert subscribers.run_batch(recorder).outcome is Outcome.BUSY
    assert recorder.seen == [] and state().checkpoint == store.START
    assert state().leased_by == "a-faster-runner", "not released: it is not this runner's"


def test_what_cannot_be_parked_stops_the_subscriber_there_with_backoff(shop, recorder):
    first, failing, _ = positions(shop, 3)
    recorder.fail_at.add(failing)

    result = subscribers.run_batch(recorder)

    assert (result.outcome, result.events) == (Outcome.FAILED, 1)
    failed = state()
    assert failed.position == first, "what passed before the failure is kept"
    assert (failed.error, failed.error_position) == (
        f"RuntimeError: cannot handle {failing}",
        failing,
    )
    assert failed.retry_at > timezone.now() and "Traceback" in failed.error_traceback
    assert subscribers.run_batch(recorder).outcome is Outcome.WAITING

    recorder.fail_at.clear()
    ProcessState.objects.filter(name="recorder").update(retry_at=None)
    assert subscribers.run_batch(recorder).outcome is Outcome.APPLIED
    assert state().error == "" and state().checkpoint == store.head()
    assert len(recorder.seen) == 3


def test_statuses_list_subscribers_after_the_projections(shop, recorder):
    positions(shop, 1)
    statuses = {status.name: status for status in projection_statuses()}
    assert (statuses["recorder"].kind, statuses["recorder"].lag_events) == ("subscriber", 1)
    assert (statuses["fulfillment"].kind, statuses["fulfillment"].parked) == ("subscriber", 0)
    assert statuses["catalog"].kind == "projection"


def test_the_catch_up_tasks_run_processes_and_projections_by_name(shop, recorder):
    positions(shop, 2)
    assert tasks.catch_up("customer_directory") == 2
    assert recorder.seen == []
    assert process_tasks.catch_up("recorder") == 2
    assert len(recorder.seen) == 2
    assert set(process_tasks.advance().events) >= {"recorder", "fulfillment"}
    assert "recorder" not in tasks.advance().events  # the read side's task runs no process
    assert set(catch_up_command.advance().events) >= {"recorder", "fulfillment", "catalog"}


def test_a_subscribers_backlog_does_not_hold_the_read_models_back_in_a_catch_up(
    shop, recorder, monkeypatch, settings
):
    """A subscriber's reactions send commands and are slow; the projections advance
    between its batches instead of after all of them (after a database outage the read
    models waited ~30 s behind fulfillment's backlog)."""
    positions(shop, 3)
    monkeypatch.setattr(subscribers, "BATCH_SIZE", 1)
    settings.PROJECTIONS_BATCHES_PER_TASK = 5
    directory_seen_by_reaction = []
    react = recorder.react

    def react_noting_the_directory(recorded):
        directory = ProjectionState.objects.filter(name="customer_directory")
        directory_seen_by_reaction.append(directory.values_list("position", flat=True).first())
        return react(recorded)

    monkeypatch.setattr(recorder, "react", react_noting_the_directory)
    catch_up_command.advance(["recorder", "customer_directory"])

    assert len(recorder.seen) == 3
    assert directory_seen_by_reaction[1] == store.head().position, "not after all batches"


def test_a_payment_wakes_the_workers_which_reserve_the_stock_and_show_it(
    staff, monkeypatch, django_capture_on_commit_callbacks
):
    """Pay → on_commit → django-q2 task (sync) → fulfillment → its commands → projections."""
    from orders import commands as c
    from orders.handlers import execute
    from tests.orders.shop import Shop

    monkeypatch.setattr(Conf, "SYNC", True)
    with django_capture_on_commit_callbacks(execute=True):
        shop = Shop()
        mug = shop.product("MUG", 5)
        order_id = shop.order((mug, 2))
        with transaction.atomic():
            execute(c.PayOrder(order_id=order_id, payment_id="pay-1"))

    catch_up()  # whatever the nested wake-ups left for the read side
    row = OrderDetail.objects.get(order_id=order_id)
    assert (row.fulfillment, row.shipment_status) == ("ready_to_ship", "CREATED")
