"""The fulfillment process manager through the real handlers, store and runner:
paid orders reserve stock and get a shipment, or are refunded and cancelled."""

from __future__ import annotations

from uuid import uuid4, uuid5

import pytest

from eventstore import store
from orders.models import FulfillmentProcess
from orders.order import Order
from orders.processes import fulfillment
from orders.processes.fulfillment import process_manager
from orders.processes.state import ProcessState
from orders.repositories import shipments
from orders.shipment import shipment_id_for
from tests.fulfillment import run_fulfillment
from tests.orders.shop import Shop, events, of_order, order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> Shop:
    return Shop()


def process(order_id) -> FulfillmentProcess:
    return FulfillmentProcess.objects.get(order_id=order_id)


def paid_event(order_id) -> store.RecordedEvent:
    return next(
        e for e in store.read_stream(Order.stream_id_for(order_id)) if e.event_type == "OrderPaid"
    )


def test_a_paid_order_reserves_every_line_gets_a_shipment_and_is_ready_to_ship(shop):
    mug, tea = shop.product("MUG", 5), shop.product("TEA", 5)
    order_id = shop.order((mug, 2), (tea, 1))
    shop.pay(order_id)

    run_fulfillment()

    assert order(order_id).fulfillment == "ready_to_ship"
    assert (stock(mug).reserved, stock(mug).on_hand, stock(tea).reserved) == (2, 5, 1)
    (created,) = events("ShipmentCreated")
    assert created.stream_id == f"shipment-{shipment_id_for(order_id)}"
    assert created.data["lines"] == [
        {"product_id": str(mug), "quantity": 2},
        {"product_id": str(tea), "quantity": 1},
    ]
    assert process(order_id).stage == "ready_to_ship"


def test_shipping_a_ready_order_issues_its_reserved_stock_and_ships_its_shipment(shop):
    mug = shop.product("MUG", 5)
    order_id = shop.order((mug, 2))
    shop.pay(order_id)
    run_fulfillment()

    shop.ship(order_id)
    run_fulfillment()

    assert order(order_id).fulfillment == "shipped"
    assert shipments.load(shipment_id_for(order_id)).status == "SHIPPED"
    assert [e.event_type for e in store.read_stream(f"shipment-{shipment_id_for(order_id)}")] == [
        "ShipmentCreated",
        "ShipmentShipped",
    ]
    assert (stock(mug).on_hand, stock(mug).reserved, stock(mug).available) == (3, 0, 3)
    assert [e.data["quantity"] for e in events("StockIssued")] == [2]
    assert process(order_id).stage == "shipped"


def test_a_line_short_of_stock_releases_the_others_refunds_and_cancels(shop):
    mug, rare = shop.product("MUG", 5), shop.product("RARE", 1)
    first = shop.order((rare, 1))
    second = shop.order((mug, 2), (rare, 1))  # created while the rare one was still available
    shop.pay(first)
    shop.pay(second)

    run_fulfillment()

    assert of_order(second)[-2:] == ["OrderRefunded", "OrderCancelled"]
    cancelled = order(second)
    assert (cancelled.status, cancelled.cancel_reason, cancelled.fulfillment) == (
        "CANCELLED",
        "insufficient_stock",
        "refunded",
    )
    assert (stock(mug).on_hand, stock(mug).reserved) == (5, 0), "stock as it was"
    assert [e.event_type for e in store.read_stream(f"inventory-{mug}")][-2:] == [
        "StockReserved",
        "StockReleased",
    ]
    assert (stock(rare).reserved, order(first).fulfillment) == (1, "ready_to_ship")
    assert not events("ShipmentCreated", data__order_id=str(second))
    assert process(second).stage == "out_of_stock"


def test_cancelling_a_paid_order_releases_its_stock_cancels_its_shipment_and_refunds(shop):
    mug = shop.product("MUG", 5)
    order_id = shop.order((mug, 2))
    shop.pay(order_id)
    run_fulfillment()

    shop.cancel(order_id)
    run_fulfillment()

    assert of_order(order_id)[-2:] == ["OrderRefunded", "OrderCancelled"]
    assert (stock(mug).on_hand, stock(mug).reserved, stock(mug).available) == (5, 0, 5)
    assert [e.event_type for e in store.read_stream(f"shipment-{shipment_id_for(order_id)}")] == [
        "ShipmentCreated",
        "ShipmentCancelled",
    ]
    assert shipments.load(shipment_id_for(order_id)).status == "CANCELLED"
    assert process(order_id).stage == "released"


def test_a_pending_order_cancelled_leaves_no_process_behind(shop):
    mug = shop.product("MUG", 5)
    order_id = shop.order((mug, 2))
    shop.cancel(order_id)
    run_fulfillment()
    assert not FulfillmentProcess.objects.exists()
    assert not events("StockReleased")


def test_the_same_order_paid_delivered_twice_reserves_once(shop):
    mug = shop.product("MUG", 5)
    order_id = shop.order((mug, 2))
    shop.pay(order_id)
    paid = paid_event(order_id)

    process_manager.react(paid)()
    process_manager.react(paid)()  # a redelivery

    assert len(events("StockReserved")) == 1 and stock(mug).reserved == 2
    assert len(events("ShipmentCreated")) == len(events("OrderReadyToShip")) == 1


def test_the_whole_log_delivered_again_changes_nothing(shop):
    mug, rare = shop.product("MUG", 5), shop.product("RARE", 1)
    shipped, cancelled = shop.order((mug, 1)), shop.order((mug, 1))
    rival, short = shop.order((rare, 1)), shop.order((rare, 1))
    for order_id in (shipped, cancelled, rival, short):  # the rival pays first
        shop.pay(order_id)
    run_fulfillment()
    shop.ship(shipped)
    shop.cancel(cancelled)
    run_fulfillment()
    count = store.count_after(store.START)

    ProcessState.objects.filter(name="fulfillment").update(tx_id=0, position=0)
    run_fulfillment()

    assert store.count_after(store.START) == count
    assert order(short).status == "CANCELLED" and order(rival).fulfillment == "ready_to_ship"


class Crash(BaseException):
    """The worker dies: not an error the runner could handle."""


@pytest.mark.parametrize("crash_after", [1, 2, 3])
def test_a_crash_between_steps_then_a_restart_completes_once(shop, monkeypatch, crash_after):
    mug, tea = shop.product("MUG", 5), shop.product("TEA", 5)
    order_id = shop.order((mug, 2), (tea, 1))
    shop.pay(order_id)
    sent = []

    def execute_then_crash(command, uow=None):
        result = real_execute(command)
        sent.append(type(command).__name__)
        if len(sent) == crash_after:
            raise Crash
        return result

    real_execute = fulfillment.execute
    monkeypatch.setattr(fulfillment, "execute", execute_then_crash)
    with pytest.raises(Crash):
        run_fulfillment()
    monkeypatch.undo()
    assert ProcessState.objects.get(name="fulfillment").position < paid_event(order_id).position

    run_fulfillment()  # the restart

    assert order(order_id).fulfillment == "ready_to_ship"
    assert len(events("StockReserved")) == 2 and (stock(mug).reserved, stock(tea).reserved) == (
        2,
        1,
    )
    assert len(events("ShipmentCreated")) == len(events("OrderReadyToShip")) == 1


def test_a_crash_before_the_checkpoint_commits_repeats_nothing(shop, monkeypatch):
    mug = shop.product("MUG", 5)
    order_id = shop.order((mug, 2))
    shop.pay(order_id)

    def crash(*args):
        raise Crash

    monkeypatch.setattr(fulfillment.memory, "remember", crash)
    with pytest.raises(Crash):
        run_fulfillment()
    monkeypatch.undo()
    assert not FulfillmentProcess.objects.exists(), "rolled back with the checkpoint"
    count = store.count_after(store.START)

    run_fulfillment()

    assert store.count_after(store.START) == count
    assert process(order_id).stage == "ready_to_ship"


def test_every_caused_event_carries_the_requests_correlation_and_its_cause(shop):
    mug = shop.product("MUG", 5)
    paying, cancelling, shipping = uuid4(), uuid4(), uuid4()
    kept = shop.order((mug, 1))
    shop.pay(kept, correlation_id=paying)
    run_fulfillment()
    shop.ship(kept, correlation_id=shipping)
    dropped = shop.order((mug, 1))
    shop.pay(dropped, correlation_id=uuid4())
    run_fulfillment()
    shop.cancel(dropped, correlation_id=cancelling)
    run_fulfillment()

    def chain(correlation_id):
        return [
            (e.event_type, e.causation_id)
            for e in store.read_all()
            if e.correlation_id == correlation_id
        ]

    paid = paid_event(kept).event_id
    assert chain(paying) == [
        ("OrderPaid", chain(paying)[0][1]),
        ("StockReserved", paid),
        ("ShipmentCreated", paid),
        ("OrderReadyToShip", paid),
    ]
    shipped = next(e for e in store.read_all() if e.event_type == "OrderShipped").event_id
    assert chain(shipping)[1:] == [("StockIssued", shipped), ("ShipmentShipped", shipped)]
    cancelled = next(e for e in store.read_all() if e.event_type == "OrderCancelled").event_id
    assert [t for t, _ in chain(cancelling)] == [
        "OrderRefunded",
        "OrderCancelled",
        "StockReleased",
        "ShipmentCancelled",
    ]
    assert {cause for t, cause in chain(cancelling)[2:]} == {cancelled}
    command_ids = {e.metadata["command_id"] for e in events("StockReserved")}
    assert str(uuid5(paid, f"reserve:{mug}")) in command_ids


def test_refusing_for_want_of_stock_keeps_the_payments_correlation(shop):
    rare = shop.product("RARE", 1)
    first, second = shop.order((rare, 1)), shop.order((rare, 1))
    correlation = uuid4()
    shop.pay(first)
    shop.pay(second, correlation_id=correlation)
    run_fulfillment()

    paid = paid_event(second).event_id
    caused = [e for e in store.read_all() if e.correlation_id == correlation]
    assert [(e.event_type, e.causation_id) for e in caused][1:] == [
        ("OrderRefunded", paid),
        ("OrderCancelled", paid),
    ]
