"""What the order list (``order_list``) and the order details (``order_details``) share:
the order's columns (``OrderFields``) and the projection keeping one row per order.

Both keep the customer's name, email and phone in their own ``Lookup`` rows (from
``CustomerRegistered`` and ``CustomerEmailChanged``), so an order row shows who
ordered without reading another projection, and an email change reaches every
order row of that customer. The details also remember each product's image.

Every event of an order's stream reaches its row, even one without a handler here
(a later addition to the domain): the row's ``version`` is the order's ETag for
If-Match, so it must never lag behind the stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from django.db import models

from eventstore.events import DomainEvent
from eventstore.shredding import ERASED
from eventstore.store import RecordedEvent
from orders.events import (
    ORDER_STREAM_TYPE,
    CustomerEmailChanged,
    CustomerForgotten,
    CustomerRegistered,
    ItemAddedToOrder,
    ItemRemovedFromOrder,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderReadyToShip,
    OrderRefunded,
    OrderShipped,
)
from orders.status import CANCELLED, PAID, PENDING, SHIPPED, STATUSES, Fulfillment
from projections.engine.projection import Decode, Projection, decode_recorded, first_sight, handles
from projections.engine.read_model import Lookup, ReadModel
from projections.engine.rows import Key, Rows
from projections.readmodels.money import CentsField

# Django's choices of the order columns, from the write side's vocabulary.
ORDER_STATUSES = [(s, s) for s in STATUSES]
FULFILLMENT_STATES = [(s, s) for s in Fulfillment.STATES]

CENTS = Decimal("0.01")


class OrderFields(ReadModel):
    key_field = "order_id"

    order_id = models.UUIDField()
    order_number = models.CharField(max_length=32)
    customer_id = models.UUIDField()
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    total_amount = CentsField()
    currency = models.CharField(max_length=3)
    item_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=ORDER_STATUSES)
    fulfillment = models.CharField(
        max_length=20, choices=FULFILLMENT_STATES, default=Fulfillment.AWAITING_PAYMENT
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.order_number} ({self.status})"


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENTS))


def customer_key(customer_id: Any) -> str:
    return f"customer:{customer_id}"


def product_key(product_id: Any) -> str:
    return f"product:{product_id}"


@dataclass(frozen=True)
class OtherOrderEvent:
    """An event of an order's stream with no handler here: it still moves the row."""

    order_id: UUID


class OrderRowsProjection(Projection):
    """What the list and the details share: one row per order, customer denormalized."""

    table: ClassVar[type[OrderFields]]

    def wants(self, recorded: RecordedEvent) -> bool:
        return recorded.stream_type == ORDER_STREAM_TYPE or super().wants(recorded)

    def decode(self, recorded: RecordedEvent, decode: Decode = decode_recorded) -> Any:
        if recorded.event_type in self.handlers:
            return super().decode(recorded, decode)
        return OtherOrderEvent(UUID(recorded.stream_id.removeprefix(f"{ORDER_STREAM_TYPE}-")))

    def apply(self, rows: Rows, event: Any, recorded: RecordedEvent) -> None:
        if isinstance(event, OtherOrderEvent):
            self.other_order_event(rows, event, recorded)
        else:
            super().apply(rows, event, recorded)

    def other_order_event(self, rows: Rows, e: OtherOrderEvent, r: RecordedEvent) -> Any:
        return self._next(rows, e.order_id, r)

    def keys(self, event: DomainEvent) -> Iterable[Key]:
        customer_id = getattr(event, "customer_id", None)
        if customer_id is not None:
            yield Lookup, customer_key(customer_id)
        order_id = getattr(event, "order_id", None)
        if order_id is not None:
            yield self.table, order_id

    @handles(CustomerRegistered)
    def customer_registered(self, rows: Rows, e: CustomerRegistered, r: RecordedEvent) -> None:
        lookup = rows.edit_or_create(Lookup, customer_key(e.customer_id), data={})
        if first_sight(lookup, r):
            lookup.data = {"name": e.name, "email": e.email, "phone": e.phone}

    @handles(CustomerEmailChanged)
    def customer_email_changed(self, rows: Rows, e: CustomerEmailChanged, r: RecordedEvent) -> None:
        lookup = rows.edit_or_create(Lookup, customer_key(e.customer_id), data={})
        if first_sight(lookup, r):
            lookup.data = {**lookup.data, "email": e.email}
            where = {"customer_id": e.customer_id}
            rows.update_all(self.table, where, customer_email=e.email, position=r.position)

    @handles(CustomerForgotten)
    def customer_forgotten(self, rows: Rows, e: CustomerForgotten, r: RecordedEvent) -> None:
        lookup = rows.edit_or_create(Lookup, customer_key(e.customer_id), data={})
        if first_sight(lookup, r):
            lookup.data = {"name": ERASED, "email": ERASED, "phone": ERASED}
            where = {"customer_id": e.customer_id}
            rows.update_all(self.table, where, **self.erased(), position=r.position)

    def erased(self) -> dict[str, Any]:
        """The row's fields that hold the customer's personal data, erased."""
        return {"customer_name": ERASED, "customer_email": ERASED}

    @handles(OrderCreated)
    def order_created(self, rows: Rows, e: OrderCreated, r: RecordedEvent) -> Any:
        row = rows.edit_or_create(self.table, e.order_id)
        if not first_sight(row, r):
            return None
        lookup = rows.find(Lookup, customer_key(e.customer_id))
        customer = lookup.data if lookup else {}
        row.order_number, row.customer_id = e.order_number, e.customer_id
        row.customer_name = customer.get("name", "")
        row.customer_email = customer.get("email", "")
        row.total_amount, row.currency = e.total, e.currency
        row.item_count, row.status = len(e.lines), PENDING
        row.fulfillment = Fulfillment.AWAITING_PAYMENT
        row.created_at = row.updated_at = r.recorded_at
        return row

    @handles(ItemAddedToOrder)
    def item_added(self, rows: Rows, e: ItemAddedToOrder, r: RecordedEvent) -> Any:
        row = self._next(rows, e.order_id, r)
        if row is not None:
            row.total_amount = e.total
            row.item_count += 1 if e.line_quantity == e.quantity else 0
        return row

    @handles(ItemRemovedFromOrder)
    def item_removed(self, rows: Rows, e: ItemRemovedFromOrder, r: RecordedEvent) -> Any:
        row = self._next(rows, e.order_id, r)
        if row is not None:
            row.total_amount = e.total
            row.item_count = max(row.item_count - 1, 0)
        return row

    @handles(OrderPaid)
    def order_paid(self, rows: Rows, e: OrderPaid, r: RecordedEvent) -> Any:
        return self._status(rows, e.order_id, r, PAID, Fulfillment.RESERVING)

    @handles(OrderShipped)
    def order_shipped(self, rows: Rows, e: OrderShipped, r: RecordedEvent) -> Any:
        return self._status(rows, e.order_id, r, SHIPPED, Fulfillment.SHIPPED)

    @handles(OrderReadyToShip)
    def order_ready_to_ship(self, rows: Rows, e: OrderReadyToShip, r: RecordedEvent) -> Any:
        return self._fulfillment(rows, e.order_id, r, Fulfillment.READY_TO_SHIP)

    @handles(OrderRefunded)
    def order_refunded(self, rows: Rows, e: OrderRefunded, r: RecordedEvent) -> Any:
        return self._fulfillment(rows, e.order_id, r, Fulfillment.REFUNDED)

    @handles(OrderCancelled)
    def order_cancelled(self, rows: Rows, e: OrderCancelled, r: RecordedEvent) -> Any:
        return self._status(rows, e.order_id, r, CANCELLED)

    def _status(
        self, rows: Rows, order_id: Any, r: RecordedEvent, status: str, fulfillment: str = ""
    ) -> Any:
        row = self._fulfillment(rows, order_id, r, fulfillment)
        if row is not None:
            row.status = status
        return row

    def _fulfillment(self, rows: Rows, order_id: Any, r: RecordedEvent, fulfillment: str) -> Any:
        """The order's row, its fulfillment moved as the Order aggregate moves it."""
        row = self._next(rows, order_id, r)
        if row is not None and fulfillment:
            row.fulfillment = fulfillment
        return row

    def _next(self, rows: Rows, order_id: Any, r: RecordedEvent) -> Any:
        """The order's row if this event is news to it (then its provenance moves on)."""
        row = rows.edit(self.table, order_id)
        if row is None or not first_sight(row, r):
            return None
        row.updated_at = r.recorded_at
        return row
