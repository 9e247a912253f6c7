from decimal import Decimal
from uuid import uuid4

import pytest

from orders.customer import Customer
from orders.errors import InvalidCommand
from orders.events import CustomerEmailChanged, ProductPriceChanged, StockReceived
from orders.inventory import Inventory
from orders.product import Product


def test_changing_a_customers_email_records_it():
    customer = Customer.register(uuid4(), name="Ann", email="ann@example.com", phone="1")
    customer.collect_pending()
    customer.change_email("ann@new.example")
    assert customer.pending == [CustomerEmailChanged(customer.id, "ann@new.example")]


def test_changing_to_the_same_email_records_nothing():
    customer = Customer.register(uuid4(), name="Ann", email="ann@example.com", phone="1")
    customer.collect_pending()
    customer.change_email("ann@example.com")
    assert customer.pending == []


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("-1.00")])
def test_a_product_needs_a_positive_price(price):
    with pytest.raises(InvalidCommand):
        Product.add(uuid4(), sku="S", name="N", price=price)


def test_changing_a_price_records_the_new_price():
    product = Product.add(uuid4(), sku="S", name="N", price=Decimal("1.00"))
    product.collect_pending()
    product.change_price(Decimal("2.00"))
    assert product.pending == [ProductPriceChanged(product.id, Decimal("2.00"))]


def test_receiving_stock_records_the_new_level():
    inventory = Inventory(id=uuid4())
    inventory.receive(5)
    inventory.receive(3)
    assert inventory.pending[-1] == StockReceived(inventory.id, 3, 8)
    assert inventory.available == 8 and inventory.can_supply(8) and not inventory.can_supply(9)


def test_receiving_no_stock_is_refused():
    with pytest.raises(InvalidCommand):
        Inventory(id=uuid4()).receive(0)
