"""The order details: the list's fields plus the customer's phone, the lines with
product images, the shipping address, payment, shipping and a timeline of every
event of the order's stream.

The fulfillment process's events on other streams reach the order's row too: each
line shows its reservation (from the product's ``StockReserved``, ``StockReleased``
and ``StockIssued`` for this order) and the shipping its shipment. They move the
row's ``position`` but not its ``version``, which is the order stream's (the ETag);
each sets a state, so applying one twice changes nothing.

One tracking number per order: the carrier's, from ``OrderShipped``. What the
fulfillment process generates when the stock is reserved (CHR...) is the shipment's
reference, from ``OrderReadyToShip``. The shipment's status follows the order's
(CREATED, then SHIPPED or CANCELLED): ``OrderShipped`` says SHIPPED at once, so a read
after the ship command sees it, and the shipment's own ``ShipmentShipped`` says the
same a moment later."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models

from eventstore.events import DomainEvent
from eventstore.serialization import to_primitive
from eventstore.shredding import ERASED
from eventstore.store import RecordedEvent
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
    ProductAdded,
    ShipmentCancelled,
    ShipmentCreated,
    ShipmentShipped,
    ShippingAddress,
    StockIssued,
    StockReleased,
    StockReserved,
)
from orders.status import ShipmentStatus
from projections.engine.projection import first_sight, handles, register
from projections.engine.read_model import Lookup
from projections.engine.rows import Key, Rows
from projections.readmodels.order_rows import (
    OrderFields,
    OrderRowsProjection,
    OtherOrderEvent,
    customer_key,
    money,
    product_key,
)


class OrderDetail(OrderFields):
    """One order with its lines and timeline (projection ``order_details``).

    ``lines`` holds ``{product_id, product_name, product_image_url, quantity,
    unit_price, line_total, reservation}`` (``reservation``: None, ``reserved``,
    ``released`` or ``issued``, from the product's inventory events for this
    order); ``timeline`` holds ``{event_type, version, position, occurred_at,
    description}``, oldest first. ``shipment_status`` is ``CREATED``, ``SHIPPED`` or
    ``CANCELLED`` once the fulfillment process made a shipment; ``shipment_reference``
    is its reference, ``tracking_number`` the carrier's.
    """

    customer_phone = models.CharField(max_length=50, blank=True)
    lines = models.JSONField(default=list)
    shipping_address = models.JSONField(default=dict)
    payment_status = models.CharField(max_length=16, default="UNPAID")
    payment_id = models.CharField(max_length=200, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=200, blank=True)
    shipment_id = models.UUIDField(null=True, blank=True)
    shipment_reference = models.CharField(max_length=32, blank=True)
    shipment_status = models.CharField(max_length=16, blank=True)
    timeline = models.JSONField(default=list)

    class Meta:
        verbose_name = "order detail page"
        verbose_name_plural = "order detail pages"
        constraints = [
            models.UniqueConstraint(fields=["generation", "order_id"], name="order_detail_key"),
        ]
        indexes = [models.Index(fields=["generation", "customer_id"], name="order_detail_customer")]


RESERVATION_STATES = {
    StockReserved.event_type: "reserved",
    StockReleased.event_type: "released",
    StockIssued.event_type: "issued",
}


SHIPMENT_STATES = {
    ShipmentCreated.event_type: ShipmentStatus.CREATED,
    ShipmentShipped.event_type: ShipmentStatus.SHIPPED,
    ShipmentCancelled.event_type: ShipmentStatus.CANCELLED,
}


@register
class OrderDetailsProjection(OrderRowsProjection):
    """Adds the phone, lines with product images, payment, shipping and a timeline."""

    name = "order_details"
    table = OrderDetail
    tables = (OrderDetail, Lookup)

    def keys(self, event: DomainEvent) -> Iterable[Key]:
        yield from super().keys(event)
        if isinstance(event, OrderCreated):
            yield from ((Lookup, product_key(line.product_id)) for line in event.lines)
        elif isinstance(event, ItemAddedToOrder | ProductAdded):
            yield Lookup, product_key(event.product_id)

    @handles(ProductAdded)
    def product_added(self, rows: Rows, e: ProductAdded, r: RecordedEvent) -> None:
        lookup = rows.edit_or_create(Lookup, product_key(e.product_id), data={})
        if first_sight(lookup, r):
            lookup.data = {"name": e.name, "image_url": e.image_url}

    def erased(self) -> dict[str, Any]:
        address = {name: ERASED for name in ShippingAddress.__dataclass_fields__}
        return super().erased() | {"customer_phone": ERASED, "shipping_address": address}

    def order_created(self, rows: Rows, e: OrderCreated, r: RecordedEvent) -> Any:
        row = super().order_created(rows, e, r)
        if row is not None:
            lookup = rows.find(Lookup, customer_key(e.customer_id))
            row.customer_phone = lookup.data.get("phone", "") if lookup else ""
            row.lines = [self._line(rows, line) for line in e.lines]
            row.shipping_address = to_primitive(e.shipping_address)
            placed = f"{_count(len(e.lines), 'line')}, total {_amount(e.total, row)}"
            _note(row, r, f"Order {e.order_number} placed: {placed}")
        return row

    def item_added(self, rows: Rows, e: ItemAddedToOrder, r: RecordedEvent) -> Any:
        row = super().item_added(rows, e, r)
        if row is not None:
            # The event carries the line's price: the one captured when the line began.
            line = OrderLine(e.product_id, e.product_name, e.line_quantity, e.unit_price)
            row.lines = _with_line(row.lines, self._line(rows, line))
            _note(row, r, f"Added {e.quantity} × {e.product_name}; total {_amount(e.total, row)}")
        return row

    def item_removed(self, rows: Rows, e: ItemRemovedFromOrder, r: RecordedEvent) -> Any:
        row = super().item_removed(rows, e, r)
        if row is not None:
            gone = str(e.product_id)
            name = next((i["product_name"] for i in row.lines if i["product_id"] == gone), gone)
            row.lines = [item for item in row.lines if item["product_id"] != gone]
            _note(row, r, f"Removed {name}; total {_amount(e.total, row)}")
        return row

    def order_paid(self, rows: Rows, e: OrderPaid, r: RecordedEvent) -> Any:
        row = super().order_paid(rows, e, r)
        if row is not None:
            row.payment_status, row.payment_id = "PAID", e.payment_id
            _note(row, r, f"Paid {_amount(e.amount, row)} (payment {e.payment_id})")
        return row

    def order_shipped(self, rows: Rows, e: OrderShipped, r: RecordedEvent) -> Any:
        row = super().order_shipped(rows, e, r)
        if row is not None:
            row.carrier, row.tracking_number = e.carrier, e.tracking_number
            if row.shipment_status == ShipmentStatus.CREATED:
                row.shipment_status = ShipmentStatus.SHIPPED
            _note(row, r, f"Shipped with {e.carrier}, tracking number {e.tracking_number}")
        return row

    def order_cancelled(self, rows: Rows, e: OrderCancelled, r: RecordedEvent) -> Any:
        row = super().order_cancelled(rows, e, r)
        if row is not None:
            _note(row, r, f"Cancelled: {e.reason}" if e.reason else "Cancelled")
        return row

    def order_ready_to_ship(self, rows: Rows, e: OrderReadyToShip, r: RecordedEvent) -> Any:
        row = super().order_ready_to_ship(rows, e, r)
        if row is not None:
            row.shipment_id, row.shipment_reference = e.shipment_id, e.shipment_reference
            _note(row, r, f"Stock reserved; ready to ship, shipment {e.shipment_reference}")
        return row

    def order_refunded(self, rows: Rows, e: OrderRefunded, r: RecordedEvent) -> Any:
        row = super().order_refunded(rows, e, r)
        if row is not None:
            row.payment_status = "REFUNDED"
            _note(row, r, f"Refunded {_amount(e.amount, row)} (payment {e.payment_id})")
        return row

    def other_order_event(self, rows: Rows, e: OtherOrderEvent, r: RecordedEvent) -> Any:
        row = super().other_order_event(rows, e, r)
        if row is not None:
            _note(row, r, r.event_type)
        return row

    @handles(StockReserved, StockReleased, StockIssued)
    def stock_for_order(
        self, rows: Rows, e: StockReserved | StockReleased | StockIssued, r: RecordedEvent
    ) -> None:
        row = rows.edit(OrderDetail, e.order_id)
        if row is not None:
            state = RESERVATION_STATES[r.event_type]
            product = str(e.product_id)
            row.lines = [
                {**line, "reservation": state} if line["product_id"] == product else line
                for line in row.lines
            ]
            row.position = r.position

    @handles(ShipmentCreated, ShipmentShipped, ShipmentCancelled)
    def shipment_changed(
        self,
        rows: Rows,
        e: ShipmentCreated | ShipmentShipped | ShipmentCancelled,
        r: RecordedEvent,
    ) -> None:
        row = rows.edit(OrderDetail, e.order_id)
        if row is not None:
            row.shipment_id = e.shipment_id
            if isinstance(e, ShipmentCreated):
                row.shipment_reference = e.shipment_reference
            row.shipment_status = SHIPMENT_STATES[r.event_type]
            row.position = r.position

    def _line(self, rows: Rows, line: OrderLine) -> dict[str, Any]:
        product = rows.find(Lookup, product_key(line.product_id))
        return {
            "product_id": str(line.product_id),
            "product_name": line.product_name,
            "product_image_url": product.data.get("image_url", "") if product else "",
            "quantity": line.quantity,
            "unit_price": money(line.unit_price),
            "line_total": money(line.unit_price * line.quantity),
            "reservation": None,
        }


def _note(row: OrderDetail, r: RecordedEvent, description: str) -> None:
    entry = {
        "event_type": r.event_type,
        "version": r.version,
        "position": r.position,
        "occurred_at": r.recorded_at.isoformat(),
        "description": description,
    }
    row.timeline = [*row.timeline, entry]


def _amount(amount: Decimal, row: OrderDetail) -> str:
    return f"{money(amount)} {row.currency}"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _with_line(lines: list[dict[str, Any]], line: dict[str, Any]) -> list[dict[str, Any]]:
    """``lines`` with ``line`` replacing the product's line, or appended when it is new."""
    if all(item["product_id"] != line["product_id"] for item in lines):
        return [*lines, line]
    return [line if item["product_id"] == line["product_id"] else item for item in lines]
