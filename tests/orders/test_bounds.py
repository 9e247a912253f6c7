"""The aggregates refuse what exceeds the domain's bounds (orders.bounds). No database."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from orders import bounds
from orders.errors import DomainError
from orders.events import OrderCreated, OrderLine, ShippingAddress, StockReceived
from orders.inventory import Inventory
from orders.order import Order
from orders.product import Product

ORDER_ID, CUSTOMER, DEAR, CHEAP = uuid4(), uuid4(), uuid4(), uuid4()
ADDRESS = ShippingAddress("1 Main St", "Ghent", "9000", "BE")
ONE_CENT = bounds.CENTS


def create(*lines: OrderLine) -> Order:
    return Order.create(
        ORDER_ID,
        order_number="ORD-000001",
        customer_id=CUSTOMER,
        lines=list(lines),
        shipping_address=ADDRESS,
        currency="EUR",
    )


def refused(code: str):
    """Expect a DomainError with ``code``, and that the aggregate records nothing."""
    return pytest.raises(DomainError, match=".", check=lambda error: error.code == code)


def order_of(*lines: OrderLine) -> Order:
    order = Order(id=ORDER_ID)
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    order.replay(OrderCreated(ORDER_ID, "ORD-1", CUSTOMER, tuple(lines), ADDRESS, total, "EUR"))
    return order


def test_an_order_of_exactly_the_largest_total_is_created():
    order = create(OrderLine(DEAR, "Dear", 1, bounds.MAX_ORDER_TOTAL))
    assert order.total == bounds.MAX_ORDER_TOTAL


def test_an_order_one_cent_past_the_largest_total_is_refused():
    with refused("order_total_too_large"):
        create(
            OrderLine(DEAR, "Dear", 1, bounds.MAX_ORDER_TOTAL),
            OrderLine(CHEAP, "Cheap", 1, ONE_CENT),
        )


def test_adding_an_item_past_the_largest_total_is_refused_and_records_nothing():
    order = order_of(OrderLine(DEAR, "Dear", 1, bounds.MAX_ORDER_TOTAL))
    with refused("order_total_too_large"):
        order.add_item(CHEAP, "Cheap", 1, ONE_CENT)
    assert order.collect_pending() == [] and order.total == bounds.MAX_ORDER_TOTAL


def test_a_line_past_the_largest_quantity_is_refused_when_created():
    with refused("quantity_too_large"):
        create(OrderLine(CHEAP, "Cheap", bounds.MAX_QUANTITY + 1, ONE_CENT))


def test_repeated_lines_of_one_product_may_not_merge_past_the_largest_quantity():
    half = bounds.MAX_QUANTITY // 2 + 1
    with refused("quantity_too_large"):
        create(OrderLine(CHEAP, "Cheap", half, ONE_CENT), OrderLine(CHEAP, "Cheap", half, ONE_CENT))


def test_adding_to_a_line_past_the_largest_quantity_is_refused():
    order = order_of(OrderLine(CHEAP, "Cheap", bounds.MAX_QUANTITY, ONE_CENT))
    with refused("quantity_too_large"):
        order.add_item(CHEAP, "Cheap", 1, ONE_CENT)
    assert order.collect_pending() == []


def test_a_price_past_the_largest_is_refused_when_added_or_changed():
    with refused("price_too_large"):
        Product.add(uuid4(), sku="X", name="X", price=bounds.MAX_PRICE + ONE_CENT)
    product = Product.add(uuid4(), sku="Y", name="Y", price=bounds.MAX_PRICE)
    with refused("price_too_large"):
        product.change_price(bounds.MAX_PRICE + ONE_CENT)


def test_a_price_with_a_fraction_of_a_cent_is_refused():
    with refused("invalid_request"):
        Product.add(uuid4(), sku="X", name="X", price=Decimal("0.005"))


def test_stock_past_the_largest_on_hand_is_refused():
    inventory = Inventory(id=uuid4())
    inventory.replay(StockReceived(inventory.id, 1, bounds.MAX_STOCK_ON_HAND - 1))
    inventory.receive(1)
    with refused("stock_too_large"):
        inventory.receive(1)
    with refused("stock_too_large"):
        Inventory(id=uuid4()).receive(bounds.MAX_STOCK_RECEIPT + 1)
