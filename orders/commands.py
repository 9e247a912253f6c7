"""Intent: what a user asks Chronicle to do. Immutable; a handler may refuse it.

Every command carries its id (idempotency), the acting user, when it was issued
and the request's correlation id (with ``correlation_id_given``, the client's own
value when it was not a UUID: config/correlation.py). ``expected_version`` comes
from If-Match.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID, uuid4

from orders.events import ShipmentLine, ShippingAddress


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, kw_only=True)
class Command:
    command_id: UUID = field(default_factory=uuid4)
    user_id: int | None = None
    issued_at: dt.datetime = field(default_factory=_now)
    correlation_id: UUID = field(default_factory=uuid4)
    correlation_id_given: str | None = None
    causation_id: UUID | None = None
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterCustomer(Command):
    customer_id: UUID = field(default_factory=uuid4)
    name: str
    email: str
    phone: str


@dataclass(frozen=True, kw_only=True)
class ForgetCustomer(Command):
    customer_id: UUID


@dataclass(frozen=True, kw_only=True)
class ChangeCustomerEmail(Command):
    customer_id: UUID
    email: str


@dataclass(frozen=True, kw_only=True)
class AddProduct(Command):
    product_id: UUID = field(default_factory=uuid4)
    sku: str
    name: str
    price: Decimal
    image_url: str = ""


@dataclass(frozen=True, kw_only=True)
class ChangeProductPrice(Command):
    product_id: UUID
    price: Decimal


@dataclass(frozen=True, kw_only=True)
class ReceiveStock(Command):
    product_id: UUID
    quantity: int


@dataclass(frozen=True)
class ItemRequest:
    product_id: UUID
    quantity: int


@dataclass(frozen=True, kw_only=True)
class CreateOrder(Command):
    order_id: UUID = field(default_factory=uuid4)
    customer_id: UUID
    items: tuple[ItemRequest, ...]
    shipping_address: ShippingAddress


@dataclass(frozen=True, kw_only=True)
class AddItem(Command):
    order_id: UUID
    product_id: UUID
    quantity: int


@dataclass(frozen=True, kw_only=True)
class RemoveItem(Command):
    order_id: UUID
    product_id: UUID


@dataclass(frozen=True, kw_only=True)
class PayOrder(Command):
    order_id: UUID
    payment_id: str


@dataclass(frozen=True, kw_only=True)
class ShipOrder(Command):
    order_id: UUID
    carrier: str
    tracking_number: str


@dataclass(frozen=True, kw_only=True)
class CancelOrder(Command):
    order_id: UUID
    reason: str


# Fulfillment steps, sent by the fulfillment process with ids derived from the causing event.


@dataclass(frozen=True, kw_only=True)
class ReserveStock(Command):
    product_id: UUID
    order_id: UUID
    quantity: int


@dataclass(frozen=True, kw_only=True)
class ReleaseStock(Command):
    product_id: UUID
    order_id: UUID


@dataclass(frozen=True, kw_only=True)
class IssueStock(Command):
    product_id: UUID
    order_id: UUID


@dataclass(frozen=True, kw_only=True)
class CreateShipment(Command):
    shipment_id: UUID
    order_id: UUID
    lines: tuple[ShipmentLine, ...]


@dataclass(frozen=True, kw_only=True)
class ShipShipment(Command):
    shipment_id: UUID


@dataclass(frozen=True, kw_only=True)
class CancelShipment(Command):
    shipment_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class MarkOrderReadyToShip(Command):
    order_id: UUID
    shipment_id: UUID
    shipment_reference: str
