"""The subscriber runner: the projections' checkpoint, lock and failure bookkeeping for
what reacts to events by sending commands, plus a lease held across transactions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf

from eventstore import store
from projections.engine import locks, subscribers, tasks
from projections.engine.runner import Outcome
from projections.engine.status import projection_statuses
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


def state() -> ProjectionState:
    return ProjectionState.objects.get(name="recorder")


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


def test_another_runners_live_lease_makes_a_runner_busy_until_it_expires(shop, recorder):
    positions(shop, 1)
    locks.ensure("recorder")
    assert locks.lease("recorder", "worker-that-died", dt.timedelta(minutes=1))

    assert subscribers.run_batch(recorder).outcome is Outcome.BUSY
    ProjectionState.objects.filter(name="recorder").update(
        leased_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert subscribers.run_batch(recorder).outcome is Outcome.APPLIED
    assert state().leased_by == "", "given back at the end of the batch"


def test_a_runner_that_lost_its_lease_commits_nothing(shop, recorder, monkeypatch):
    positions(shop, 2)
    react = recorder.react

    def slow_react(recorded):
        remember = react(recorded)
        ProjectionState.objects.filter(name="recorder").update(leased_by="a-faster-runner")
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
    ProjectionState.objects.filter(name="recorder").update(retry_at=None)
    assert subscribers.run_batch(recorder).outcome is Outcome.APPLIED
    assert state().error == "" and state().checkpoint == store.head()
    assert len(recorder.seen) == 3


def test_statuses_list_subscribers_after_the_projections(shop, recorder):
    positions(shop, 1)
    statuses = {status.name: status for status in projection_statuses()}
    assert (statuses["recorder"].kind, statuses["recorder"].lag_events) == ("subscriber", 1)
    assert (statuses["fulfillment"].kind, statuses["fulfillment"].parked) == ("subscriber", 0)
    assert statuses["catalog"].kind == "projection"


def test_the_catch_up_task_runs_subscribers_and_projections_by_name(shop, recorder):
    positions(shop, 2)
    assert tasks.catch_up("customer_directory") == 2
    assert recorder.seen == []
    assert tasks.catch_up("recorder") == 2
    assert len(recorder.seen) == 2
    assert set(tasks.advance().events) >= {"recorder", "fulfillment", "catalog"}


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
