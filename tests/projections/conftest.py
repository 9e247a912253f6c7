"""A small shop that appends domain events the way the write side would, and
helpers to run the projections and query them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from eventstore import store
from eventstore.events import DomainEvent
from orders import events as ev
from orders.models import CustomerAccount
from projections.engine import runner

HORIZON_PATIENCE_SECONDS = 10
ADDRESS = ev.ShippingAddress(line1="1 Main St", city="Ghent", postal_code="9000", country="BE")


INVENTORY_EVENTS = (ev.StockReceived, ev.StockReserved, ev.StockReleased, ev.StockIssued)
SHIPMENT_EVENTS = (ev.ShipmentCreated, ev.ShipmentShipped, ev.ShipmentCancelled)


def stream_of(event: DomainEvent) -> tuple[str, str]:
    """The stream the write side appends ``event`` to."""
    if isinstance(event, INVENTORY_EVENTS):
        return f"inventory-{event.product_id}", "inventory"
    if isinstance(event, SHIPMENT_EVENTS):
        return f"shipment-{event.shipment_id}", "shipment"
    for attribute, stream_type in (("order_id", "order"), ("customer_id", "customer")):
        if hasattr(event, attribute):
            return f"{stream_type}-{getattr(event, attribute)}", stream_type
    return f"product-{event.product_id}", "product"  # type: ignore[attr-defined]


def record(*events: DomainEvent) -> store.AppendResult:
    """Append each event to its stream; returns the last append's result."""
    result = None
    for event in events:
        stream_id, stream_type = stream_of(event)
        new = store.NewEvent(event.event_type, event.to_data(), schema_version=event.schema_version)
        result = append(stream_id, stream_type, new)
    assert result is not None
    return result


def append(stream_id: str, stream_type: str, new: store.NewEvent) -> store.AppendResult:
    """Append, then wait until readers may see the event.

    On PostgreSQL any transaction open on the server, even one of another database
    (another test run), holds the safe read horizon back for a moment.
    """
    result = store.append(stream_id, stream_type, [new], store.ANY)
    target = store.checkpoint_of(result.position)
    deadline = time.monotonic() + HORIZON_PATIENCE_SECONDS
    while target is not None and store.head() < target and time.monotonic() < deadline:
        time.sleep(0.005)
    return result


@dataclass
class Shop:
    """Knows names and prices so that the events it records are consistent."""

    products: dict[UUID, tuple[str, Decimal]] = field(default_factory=dict)
    lines: dict[UUID, dict[UUID, tuple[int, Decimal]]] = field(default_factory=dict)
    on_hand: dict[UUID, int] = field(default_factory=dict)
    reserved: dict[UUID, dict[UUID, int]] = field(default_factory=dict)
    paid: set[UUID] = field(default_factory=set)
    numbers: int = 0
    last: store.AppendResult | None = None

    def _record(self, *events: DomainEvent) -> store.AppendResult:
        self.last = record(*events)
        return self.last

    def customer(self, name: str = "Alice", email: str | None = None, phone: str = "+3255") -> UUID:
        customer_id = uuid.uuid4()
        email = email or f"{name.lower()}@example.com"
        self._record(ev.CustomerRegistered(customer_id, name, email, phone))
        return customer_id

    def change_email(self, customer_id: UUID, email: str) -> None:
        self._record(ev.CustomerEmailChanged(customer_id, email))

    def product(self, sku: str, price: str, name: str | None = None, image_url: str = "") -> UUID:
        product_id = uuid.uuid4()
        name = name or f"Product {sku}"
        self.products[product_id] = (name, Decimal(price))
        self._record(ev.ProductAdded(product_id, sku, name, Decimal(price), image_url))
        return product_id

    def change_price(self, product_id: UUID, price: str) -> None:
        name, _ = self.products[product_id]
        self.products[product_id] = (name, Decimal(price))
        self._record(ev.ProductPriceChanged(product_id, Decimal(price)))

    def receive(self, product_id: UUID, quantity: int) -> None:
        self.on_hand[product_id] = self.on_hand.get(product_id, 0) + quantity
        self._record(ev.StockReceived(product_id, quantity, self.on_hand[product_id]))

    def reserve(self, order_id: UUID) -> None:
        """What the fulfillment process does once an order is paid."""
        for product_id, (quantity, _) in self.lines[order_id].items():
            held = self.reserved.setdefault(product_id, {})
            held[order_id] = quantity
            total = sum(held.values())
            self._record(ev.StockReserved(product_id, order_id, quantity, total))

    def release(self, order_id: UUID) -> None:
        for product_id, held in self.reserved.items():
            if order_id in held:
                quantity = held.pop(order_id)
                self._record(ev.StockReleased(product_id, order_id, quantity, sum(held.values())))

    def issue(self, order_id: UUID) -> None:
        for product_id, held in self.reserved.items():
            if order_id in held:
                quantity = held.pop(order_id)
                self.on_hand[product_id] -= quantity
                on_hand, reserved = self.on_hand[product_id], sum(held.values())
                self._record(ev.StockIssued(product_id, order_id, quantity, on_hand, reserved))

    def ready_to_ship(self, order_id: UUID, reference: str = "CHR0001") -> None:
        self._record(ev.OrderReadyToShip(order_id, uuid.uuid5(order_id, "shipment"), reference))

    def record_shipment(self, order_id: UUID, reference: str = "CHR0001") -> None:
        """What the fulfillment process does once every line is reserved."""
        lines = tuple(ev.ShipmentLine(p, q) for p, (q, _) in self.lines[order_id].items())
        shipment_id = uuid.uuid5(order_id, "shipment")
        self._record(ev.ShipmentCreated(shipment_id, order_id, reference, lines))

    def ship_shipment(self, order_id: UUID) -> None:
        """What the fulfillment process does once the order shipped."""
        self._record(ev.ShipmentShipped(uuid.uuid5(order_id, "shipment"), order_id))

    def cancel_shipment(self, order_id: UUID, reason: str = "order cancelled") -> None:
        self._record(ev.ShipmentCancelled(uuid.uuid5(order_id, "shipment"), order_id, reason))

    def order(self, customer_id: UUID, *items: tuple[UUID, int]) -> UUID:
        order_id = uuid.uuid4()
        self.numbers += 1
        self.lines[order_id] = {p: (q, self.products[p][1]) for p, q in items}
        lines = tuple(
            ev.OrderLine(p, self.products[p][0], q, price)
            for p, (q, price) in self.lines[order_id].items()
        )
        number = f"ORD-{self.numbers:06d}"
        self._record(
            ev.OrderCreated(
                order_id, number, customer_id, lines, ADDRESS, self.total(order_id), "EUR"
            )
        )
        return order_id

    def add_item(self, order_id: UUID, product_id: UUID, quantity: int) -> None:
        current, price = self.lines[order_id].get(product_id, (0, self.products[product_id][1]))
        self.lines[order_id][product_id] = (current + quantity, price)
        name = self.products[product_id][0]
        total = self.total(order_id)
        self._record(
            ev.ItemAddedToOrder(
                order_id, product_id, name, quantity, price, current + quantity, total
            )
        )

    def remove_item(self, order_id: UUID, product_id: UUID) -> None:
        del self.lines[order_id][product_id]
        self._record(ev.ItemRemovedFromOrder(order_id, product_id, self.total(order_id)))

    def pay(self, order_id: UUID, payment_id: str = "pay-1") -> None:
        self.paid.add(order_id)
        self._record(ev.OrderPaid(order_id, payment_id, self.total(order_id)))

    def ship(self, order_id: UUID, carrier: str = "DHL", tracking: str = "TRK-1") -> None:
        self._record(ev.OrderShipped(order_id, carrier, tracking))

    def cancel(self, order_id: UUID, reason: str = "changed my mind") -> None:
        """As the Order aggregate does: a paid order is refunded, then cancelled."""
        if order_id in self.paid:
            refund = ev.OrderRefunded(order_id, "pay-1", self.total(order_id), reason)
            self._record(refund, ev.OrderCancelled(order_id, reason))
        else:
            self._record(ev.OrderCancelled(order_id, reason))

    def total(self, order_id: UUID) -> Decimal:
        return sum((q * p for q, p in self.lines[order_id].values()), Decimal("0.00")).quantize(
            Decimal("0.01")
        )


@pytest.fixture
def shop(db) -> Shop:
    return Shop()


def catch_up(*names: str) -> runner.Report:
    """Run the runners until no projection is behind; returns the last report."""
    while True:
        report = runner.advance(names or None, max_batches=100)
        if not report.behind:
            return report


class Client:
    """A DRF test client for one login."""

    def __init__(self, user) -> None:
        self.user = user
        self.api = APIClient()
        self.api.force_authenticate(user)

    def get(self, path: str, **params):
        return self.api.get(path, params)


@pytest.fixture
def staff(db) -> Client:
    return Client(get_user_model().objects.create_user("staff", is_staff=True))


@pytest.fixture
def login_for(db):
    def login(customer_id: UUID, username: str | None = None) -> Client:
        user = get_user_model().objects.create_user(username or f"login-{customer_id}")
        CustomerAccount.objects.create(user=user, customer_id=customer_id)
        return Client(user)

    return login
