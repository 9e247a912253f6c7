"""Order rules as given events / when command / then events or error. No database."""

from decimal import Decimal
from uuid import uuid4

import pytest

from orders.errors import (
    InvalidTransition,
    ItemNotOnOrder,
    LastItem,
    NotReadyToShip,
    OrderNotPending,
    TooManyItems,
)
from orders.events import (
    ItemAddedToOrder,
    ItemRemovedFromOrder,
    OrderCancelled,
    OrderCreated,
    OrderLine,
    OrderPaid,
    OrderReadyToShip,
    OrderRefunded,
    OrderShipped,
    ShippingAddress,
)
from orders.order import Order

ORDER_ID, CUSTOMER = uuid4(), uuid4()
MUG, TEA = uuid4(), uuid4()
ADDRESS = ShippingAddress("1 Main St", "Ghent", "9000", "BE")


def created(*lines: OrderLine) -> OrderCreated:
    lines = lines or (OrderLine(MUG, "Mug", 2, Decimal("12.50")),)
    total = sum((line.line_total for line in lines), Decimal("0")).quantize(Decimal("0.01"))
    return OrderCreated(ORDER_ID, "ORD-000001", CUSTOMER, tuple(lines), ADDRESS, total, "EUR")


def given(*events) -> Order:
    order = Order(id=ORDER_ID)
    for event in events:
        order.replay(event)
    return order


def paid() -> OrderPaid:
    return OrderPaid(ORDER_ID, "pay-1", Decimal("25.00"))


def ready() -> OrderReadyToShip:
    return OrderReadyToShip(ORDER_ID, uuid4(), "CHR1")


def test_creating_an_order_records_its_lines_total_and_number():
    order = Order.create(
        ORDER_ID,
        order_number="ORD-000007",
        customer_id=CUSTOMER,
        lines=[
            OrderLine(MUG, "Mug", 2, Decimal("12.50")),
            OrderLine(TEA, "Tea", 1, Decimal("4.20")),
        ],
        shipping_address=ADDRESS,
        currency="EUR",
    )
    (event,) = order.pending
    assert isinstance(event, OrderCreated)
    assert (event.order_number, event.total, event.currency) == (
        "ORD-000007",
        Decimal("29.20"),
        "EUR",
    )
    assert order.status == "PENDING" and order.version == 1


def test_creating_an_order_merges_repeated_products_into_one_line():
    order = Order.create(
        ORDER_ID,
        order_number="ORD-1",
        customer_id=CUSTOMER,
        shipping_address=ADDRESS,
        currency="EUR",
        lines=[
            OrderLine(MUG, "Mug", 2, Decimal("12.50")),
            OrderLine(MUG, "Mug", 3, Decimal("12.50")),
        ],
    )
    assert [(line.product_id, line.quantity) for line in order.lines] == [(MUG, 5)]


def test_creating_an_order_with_more_than_ten_lines_is_refused():
    lines = [OrderLine(uuid4(), f"P{i}", 1, Decimal("1.00")) for i in range(11)]
    with pytest.raises(TooManyItems):
        Order.create(
            ORDER_ID,
            order_number="ORD-1",
            customer_id=CUSTOMER,
            lines=lines,
            shipping_address=ADDRESS,
            currency="EUR",
        )


def test_adding_a_product_already_on_the_order_raises_that_lines_quantity_at_its_price():
    order = given(created())
    order.add_item(MUG, "Mug", 3, Decimal("99.00"))
    (event,) = order.pending
    assert event == ItemAddedToOrder(ORDER_ID, MUG, "Mug", 3, Decimal("12.50"), 5, Decimal("62.50"))
    assert len(order.lines) == 1 and order.total == Decimal("62.50")


def test_adding_a_new_product_adds_a_line():
    order = given(created())
    order.add_item(TEA, "Tea", 1, Decimal("4.20"))
    assert [line.product_id for line in order.lines] == [MUG, TEA]
    assert order.total == Decimal("29.20")


def test_an_eleventh_line_is_refused():
    lines = [OrderLine(uuid4(), f"P{i}", 1, Decimal("1.00")) for i in range(10)]
    order = given(created(*lines))
    with pytest.raises(TooManyItems):
        order.add_item(TEA, "Tea", 1, Decimal("4.20"))
    assert order.pending == []


@pytest.mark.parametrize("history", [[paid()], [OrderCancelled(ORDER_ID, "changed my mind")]])
def test_adding_removing_or_paying_when_not_pending_is_refused(history):
    order = given(
        created(
            OrderLine(MUG, "Mug", 1, Decimal("1.00")), OrderLine(TEA, "Tea", 1, Decimal("1.00"))
        ),
        *history,
    )
    for attempt in (
        lambda: order.add_item(TEA, "Tea", 1, Decimal("1")),
        lambda: order.remove_item(TEA),
        lambda: order.pay("pay-2"),
    ):
        with pytest.raises(OrderNotPending):
            attempt()
    assert order.pending == []


def test_removing_a_line_records_the_new_total():
    order = given(
        created(
            OrderLine(MUG, "Mug", 2, Decimal("12.50")), OrderLine(TEA, "Tea", 1, Decimal("4.20"))
        )
    )
    order.remove_item(TEA)
    assert order.pending == [ItemRemovedFromOrder(ORDER_ID, TEA, Decimal("25.00"))]


def test_removing_the_last_line_is_refused():
    with pytest.raises(LastItem):
        given(created()).remove_item(MUG)


def test_removing_a_product_that_is_not_on_the_order_names_nothing():
    with pytest.raises(ItemNotOnOrder):
        given(created()).remove_item(TEA)


def test_paying_a_pending_order_records_the_payment_and_amount():
    order = given(created())
    order.pay("pay-9")
    assert (
        order.pending == [OrderPaid(ORDER_ID, "pay-9", Decimal("25.00"))] and order.status == "PAID"
    )


def test_shipping_a_paid_order_ready_to_ship_records_carrier_and_tracking():
    order = given(created(), paid(), ready())
    order.ship("DHL", "TR-1")
    assert order.pending == [OrderShipped(ORDER_ID, "DHL", "TR-1")] and order.status == "SHIPPED"


@pytest.mark.parametrize(
    "history", [[], [paid(), OrderShipped(ORDER_ID, "DHL", "1")], [OrderCancelled(ORDER_ID, "x")]]
)
def test_shipping_an_order_that_is_not_paid_is_refused(history):
    with pytest.raises(InvalidTransition):
        given(created(), *history).ship("DHL", "TR-1")


def test_shipping_a_paid_order_whose_stock_is_still_being_reserved_is_not_ready_to_ship():
    with pytest.raises(NotReadyToShip):
        given(created(), paid()).ship("DHL", "TR-1")


def test_cancelling_a_pending_order_records_the_cancellation():
    order = given(created())
    order.cancel("customer asked")
    assert order.pending == [OrderCancelled(ORDER_ID, "customer asked")]
    assert order.status == "CANCELLED"


def test_cancelling_a_paid_order_refunds_it_first():
    order = given(created(), paid())
    order.cancel("customer asked")
    assert order.pending == [
        OrderRefunded(ORDER_ID, "pay-1", Decimal("25.00"), "customer asked"),
        OrderCancelled(ORDER_ID, "customer asked"),
    ]
    assert (order.status, order.fulfillment) == ("CANCELLED", "refunded")


def test_an_order_is_ready_to_ship_once_and_only_while_paid():
    shipment = uuid4()
    order = given(created(), paid())
    assert order.fulfillment == "reserving"
    order.mark_ready_to_ship(shipment, "CHR1")
    order.mark_ready_to_ship(shipment, "CHR1")
    assert order.pending == [OrderReadyToShip(ORDER_ID, shipment, "CHR1")]
    cancelled = given(created(), paid(), OrderCancelled(ORDER_ID, "x"))
    cancelled.mark_ready_to_ship(shipment, "CHR1")
    assert cancelled.pending == []


@pytest.mark.parametrize(
    "history", [[paid(), OrderShipped(ORDER_ID, "DHL", "1")], [OrderCancelled(ORDER_ID, "x")]]
)
def test_cancelling_a_shipped_or_cancelled_order_is_refused(history):
    with pytest.raises(InvalidTransition):
        given(created(), *history).cancel("too late")


def test_replaying_history_never_checks_rules():
    # A stored history is a fact even where today's rules would refuse it.
    order = given(
        created(), paid(), OrderShipped(ORDER_ID, "DHL", "1"), OrderCancelled(ORDER_ID, "legacy")
    )
    assert order.status == "CANCELLED" and order.version == 4
