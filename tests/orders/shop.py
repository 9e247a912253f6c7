"""A shop driven through the real command handlers, for the fulfillment tests."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

from eventstore import store
from eventstore.models import Event
from orders import commands as c
from orders.events import ShippingAddress
from orders.handlers import execute
from orders.inventory import Inventory
from orders.order import Order
from orders.repositories import inventories, orders

ADDRESS = ShippingAddress("1 Main St", "Ghent", "9000", "BE")


class Shop:
    def __init__(self) -> None:
        self.customer_id = execute(
            c.RegisterCustomer(name="Ann", email="ann@example.com", phone="1")
        ).id

    def product(self, sku: str, stock: int, price: str = "10.00") -> UUID:
        product_id = execute(c.AddProduct(sku=sku, name=f"Product {sku}", price=Decimal(price))).id
        if stock:
            execute(c.ReceiveStock(product_id=product_id, quantity=stock))
        return product_id

    def order(self, *items: tuple[UUID, int], correlation_id: UUID | None = None) -> UUID:
        return execute(
            c.CreateOrder(
                customer_id=self.customer_id,
                items=tuple(c.ItemRequest(product_id, quantity) for product_id, quantity in items),
                shipping_address=ADDRESS,
                correlation_id=correlation_id or uuid4(),
            )
        ).id

    def pay(self, order_id: UUID, correlation_id: UUID | None = None) -> None:
        execute(
            c.PayOrder(
                order_id=order_id, payment_id="pay-1", correlation_id=correlation_id or uuid4()
            )
        )

    def ship(self, order_id: UUID, correlation_id: UUID | None = None) -> None:
        execute(
            c.ShipOrder(
                order_id=order_id,
                carrier="DHL",
                tracking_number="TR-1",
                correlation_id=correlation_id or uuid4(),
            )
        )

    def cancel(self, order_id: UUID, correlation_id: UUID | None = None) -> None:
        execute(
            c.CancelOrder(
                order_id=order_id,
                reason="changed my mind",
                correlation_id=correlation_id or uuid4(),
            )
        )


def order(order_id: UUID) -> Order:
    return orders.load(order_id)


def stock(product_id: UUID) -> Inventory:
    return inventories.load(product_id)


def events(event_type: str, **where: object) -> list[Event]:
    return list(Event.objects.filter(event_type=event_type, **where).order_by("position"))


def of_order(order_id: UUID) -> list[str]:
    """Event types of the order's stream, in order."""
    return [e.event_type for e in store.read_stream(Order.stream_id_for(order_id))]
