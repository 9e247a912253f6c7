"""The facts of Chronicle's order domain, past tense, named for good.

Each event is a frozen dataclass of JSON-safe values registered under a stable type
name with its schema version. Amounts are ``Decimal`` with two places in the shop
currency. Personal data sits in clearly named fields, listed once per event type in
its ``@event(personal=..., subject="customer_id")``: they are stored encrypted
under that customer's data key and read as "[erased]" once the customer is
forgotten (eventstore/shredding.py, docs/architecture.md, invariant 14).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from eventstore.events import DomainEvent, event
from eventstore.upcasting import Data, upcaster


@dataclass(frozen=True)
class ShippingAddress:
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""


@dataclass(frozen=True)
class OrderLine:
    product_id: UUID
    product_name: str
    quantity: int
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


# Orders

# The stream an order's events are recorded on is "order-<order id>".
ORDER_STREAM_TYPE = "order"


@event("OrderCreated", personal=("shipping_address",), subject="customer_id")
@dataclass(frozen=True)
class OrderCreated(DomainEvent):
    order_id: UUID
    order_number: str
    customer_id: UUID
    lines: tuple[OrderLine, ...]
    shipping_address: ShippingAddress
    total: Decimal
    currency: str


@event("ItemAddedToOrder")
@dataclass(frozen=True)
class ItemAddedToOrder(DomainEvent):
    order_id: UUID
    product_id: UUID
    product_name: str
    quantity: int
    unit_price: Decimal
    line_quantity: int
    total: Decimal


@event("ItemRemovedFromOrder")
@dataclass(frozen=True)
class ItemRemovedFromOrder(DomainEvent):
    order_id: UUID
    product_id: UUID
    total: Decimal


@event("OrderPaid")
@dataclass(frozen=True)
class OrderPaid(DomainEvent):
    order_id: UUID
    payment_id: str
    amount: Decimal


@event("OrderShipped")
@dataclass(frozen=True)
class OrderShipped(DomainEvent):
    order_id: UUID
    carrier: str
    tracking_number: str


@event("OrderCancelled")
@dataclass(frozen=True)
class OrderCancelled(DomainEvent):
    order_id: UUID
    reason: str


# Customers


@event("CustomerRegistered", personal=("name", "email", "phone"), subject="customer_id")
@dataclass(frozen=True)
class CustomerRegistered(DomainEvent):
    customer_id: UUID
    name: str
    email: str
    phone: str


@event("CustomerEmailChanged", personal=("email",), subject="customer_id")
@dataclass(frozen=True)
class CustomerEmailChanged(DomainEvent):
    customer_id: UUID
    email: str


@event("CustomerForgotten")
@dataclass(frozen=True)
class CustomerForgotten(DomainEvent):
    """The customer invoked the right to erasure: their data key is destroyed with this
    event, so their personal fields read "[erased]" everywhere. It holds no personal
    data itself."""

    customer_id: UUID


# Products and stock


@event("ProductAdded")
@dataclass(frozen=True)
class ProductAdded(DomainEvent):
    product_id: UUID
    sku: str
    name: str
    price: Decimal
    image_url: str = ""


@event("ProductPriceChanged")
@dataclass(frozen=True)
class ProductPriceChanged(DomainEvent):
    product_id: UUID
    price: Decimal


@event("StockReceived")
@dataclass(frozen=True)
class StockReceived(DomainEvent):
    """Goods arrived; ``on_hand`` is the stock level after them."""

    product_id: UUID
    quantity: int
    on_hand: int


# Fulfillment: reservations, shipments and refunds


@event("StockReserved")
@dataclass(frozen=True)
class StockReserved(DomainEvent):
    """Stock set aside for one order's line; ``reserved`` is the product's total after it."""

    product_id: UUID
    order_id: UUID
    quantity: int
    reserved: int


@event("StockReleased")
@dataclass(frozen=True)
class StockReleased(DomainEvent):
    product_id: UUID
    order_id: UUID
    quantity: int
    reserved: int


@event("StockIssued")
@dataclass(frozen=True)
class StockIssued(DomainEvent):
    """Reserved stock left the warehouse with a shipped order."""

    product_id: UUID
    order_id: UUID
    quantity: int
    on_hand: int
    reserved: int


@dataclass(frozen=True)
class ShipmentLine:
    product_id: UUID
    quantity: int


# One order has one tracking number: the carrier's, recorded by OrderShipped. What
# Chronicle generates for a shipment (CHR...) is its own reference, the label's id;
# v1 of ShipmentCreated and OrderReadyToShip called it a tracking number.


@event("ShipmentCreated", schema_version=2)
@dataclass(frozen=True)
class ShipmentCreated(DomainEvent):
    shipment_id: UUID
    order_id: UUID
    shipment_reference: str
    lines: tuple[ShipmentLine, ...]


@event("ShipmentShipped")
@dataclass(frozen=True)
class ShipmentShipped(DomainEvent):
    """The parcel left with its order (whose OrderShipped names carrier and tracking number)."""

    shipment_id: UUID
    order_id: UUID


@event("ShipmentCancelled")
@dataclass(frozen=True)
class ShipmentCancelled(DomainEvent):
    shipment_id: UUID
    order_id: UUID
    reason: str


@event("OrderReadyToShip", schema_version=2)
@dataclass(frozen=True)
class OrderReadyToShip(DomainEvent):
    """Every line is reserved and a shipment exists: staff may ship."""

    order_id: UUID
    shipment_id: UUID
    shipment_reference: str


@upcaster("ShipmentCreated", 1)
@upcaster("OrderReadyToShip", 1)
def _tracking_number_becomes_shipment_reference(data: Data) -> Data:
    """v1 stored the generated reference as ``tracking_number``; v2 names it for what it is."""
    return {
        ("shipment_reference" if key == "tracking_number" else key): value
        for key, value in data.items()
    }


@event("OrderRefunded")
@dataclass(frozen=True)
class OrderRefunded(DomainEvent):
    order_id: UUID
    payment_id: str
    amount: Decimal
    reason: str
