"""A fulfillment step that keeps failing parks its order; other orders flow on."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders import commands as c
from orders import handlers
from orders.models import FulfillmentProcess
from orders.processes import fulfillment
from orders.processes import runner as subscribers
from tests.fulfillment import run_fulfillment
from tests.orders.shop import Shop, events, order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> Shop:
    return Shop()


@pytest.fixture
def broken_shipments(monkeypatch):
    """CreateShipment fails, as a bug would, for the orders in the returned set."""
    doomed: set = set()
    real = handlers.HANDLERS[c.CreateShipment]

    def create_shipment(command, uow):
        if command.order_id in doomed:
            raise RuntimeError("label printer on fire")
        return real(command, uow)

    monkeypatch.setitem(handlers.HANDLERS, c.CreateShipment, create_shipment)
    return doomed


def process(order_id) -> FulfillmentProcess:
    return FulfillmentProcess.objects.get(order_id=order_id)


def make_due(order_id) -> None:
    FulfillmentProcess.objects.filter(order_id=order_id).update(
        retry_at=timezone.now() - dt.timedelta(seconds=1)
    )


def projections_table() -> str:
    out = StringIO()
    call_command("projections", stdout=out)
    return out.getvalue()


def test_a_failing_step_parks_its_order_and_the_others_flow_on(shop, broken_shipments):
    mug = shop.product("MUG", 5)
    stuck, fine = shop.order((mug, 1)), shop.order((mug, 1))
    broken_shipments.add(stuck)
    shop.pay(stuck)
    shop.pay(fine)

    report = run_fulfillment()

    assert order(fine).fulfillment == "ready_to_ship" and not report.failed
    parked = process(stuck)
    assert (parked.parked_event, parked.parked_step, parked.attempts) == (
        "OrderPaid",
        "create-shipment",
        1,
    )
    assert parked.error == "orders.processes.fulfillment.StepFailed: create-shipment: " + (
        "RuntimeError: label printer on fire"
    )
    assert "label printer on fire" in parked.error_traceback and parked.retry_at > timezone.now()
    assert order(stuck).fulfillment == "reserving"
    table = projections_table()
    assert "up to date, 1 parked" in table
    assert f"{stuck}  OrderPaid v2, step create-shipment, 1 attempt, retry at" in table


def test_a_parked_step_is_retried_with_backoff_then_waits_for_a_person(shop, broken_shipments):
    mug = shop.product("MUG", 5)
    stuck = shop.order((mug, 1))
    broken_shipments.add(stuck)
    shop.pay(stuck)
    run_fulfillment()

    for _ in range(fulfillment.memory.AUTO_RETRIES - 1):
        make_due(stuck)
        run_fulfillment()

    assert process(stuck).attempts == fulfillment.memory.AUTO_RETRIES
    assert process(stuck).retry_at is None
    assert "waits for a retry" in projections_table()
    assert len(events("StockReserved")) == 1, "retries repeat nothing that succeeded"


def test_a_retry_after_the_fix_completes_the_parked_order(shop, broken_shipments):
    mug = shop.product("MUG", 5)
    stuck = shop.order((mug, 2))
    broken_shipments.add(stuck)
    shop.pay(stuck)
    run_fulfillment()

    broken_shipments.clear()  # the fix is deployed
    assert subscribers.retry("fulfillment", str(stuck))
    run_fulfillment()

    assert order(stuck).fulfillment == "ready_to_ship" and stock(mug).reserved == 2
    assert not process(stuck).parked and process(stuck).stage == "ready_to_ship"
    assert "parked" not in projections_table()


def test_later_events_of_a_parked_order_wait_behind_it(shop, broken_shipments):
    mug = shop.product("MUG", 5)
    stuck = shop.order((mug, 2))
    broken_shipments.add(stuck)
    shop.pay(stuck)
    run_fulfillment()
    shop.cancel(stuck)  # the customer gives up; the refund is the order's own
    run_fulfillment()

    assert stock(mug).reserved == 2, "the release waits behind the parked reservation"
    assert process(stuck).seen_version == 4

    broken_shipments.clear()
    subscribers.retry("fulfillment", str(stuck))
    run_fulfillment()

    assert stock(mug).reserved == 0
    assert not process(stuck).parked and process(stuck).stage == "released"
    assert not events("ShipmentCreated")


def test_retry_parked_makes_parked_orders_due_and_says_what_it_did_not_find(shop, broken_shipments):
    mug = shop.product("MUG", 5)
    stuck = shop.order((mug, 1))
    broken_shipments.add(stuck)
    shop.pay(stuck)
    run_fulfillment()
    FulfillmentProcess.objects.update(retry_at=None)
    out, err = StringIO(), StringIO()

    call_command("retry_parked", "fulfillment", str(stuck), "nope", stdout=out, stderr=err)

    assert process(stuck).retry_at is not None
    assert out.getvalue() == "1 due now; the runners are woken\n"
    assert err.getvalue() == "nothing of fulfillment is parked under nope\n"
    with pytest.raises(CommandError, match="--all"):
        call_command("retry_parked", "fulfillment")
