"""An order as it was at one version or one instant, replayed from the event store.

Never from read models: the state is the write side's, read through
``orders.temporal`` at the chosen version (or as of the chosen instant: the last
version recorded at or before it), and the version before is read beside it, so
a page can show what that version's event changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventstore import store
from orders.temporal import OrderAsItWas, order_as_it_was, order_events

ADDED, CHANGED, REMOVED = "added", "changed", "removed"


@dataclass(frozen=True)
class FieldChange:
    label: str
    value: str
    before: str | None  # None at version 1: there was nothing before

    @property
    def changed(self) -> bool:
        return self.before is not None and self.before != self.value


@dataclass(frozen=True)
class LineChange:
    product_id: UUID
    product_name: str
    quantity: int
    unit_price: Decimal
    change: str = ""  # ADDED, CHANGED (quantity), REMOVED or nothing
    quantity_before: int | None = None

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class OrderAt:
    """The order at ``version``, what that version's event changed, and the whole stream."""

    order: OrderAsItWas
    event: store.RecordedEvent  # the event that made this version
    fields: list[FieldChange]
    lines: list[LineChange]
    history: list[store.RecordedEvent]

    @property
    def version(self) -> int:
        return self.order.version

    @property
    def latest(self) -> int:
        return self.history[-1].version

    @property
    def previous(self) -> int | None:
        return self.version - 1 if self.version > 1 else None

    @property
    def next(self) -> int | None:
        return self.version + 1 if self.version < self.latest else None


def order_at(
    order_id: UUID, *, version: int | None = None, at: dt.datetime | None = None
) -> OrderAt:
    """The order at ``version``, or as of ``at`` (which wins when both are given), or now;
    raises ``orders.temporal``'s NoSuchOrder, NoSuchVersion and NotYet."""
    if at is not None:
        order = order_as_it_was(order_id, as_of=at)
    else:
        order = order_as_it_was(order_id, version=version)
    before = order_as_it_was(order_id, version=order.version - 1) if order.version > 1 else None
    history = order_events(order_id)
    event = history[order.version - 1]
    return OrderAt(order, event, field_changes(order, before), line_changes(order, before), history)


def describe(order: OrderAsItWas) -> dict[str, str]:
    """The order's fields as a page shows them, lines apart."""
    return {
        "Status": order.status,
        "Fulfillment": (order.fulfillment or "").replace("_", " ") or "—",
        "Total": f"{order.total:.2f} {order.currency}",
        "Payment": order.payment_id or "—",
        "Shipping address": _address(order.shipping_address),
        "Shipment": str(order.shipment_id) if order.shipment_id else "—",
        "Shipment reference": order.shipment_reference or "—",
        "Carrier": order.carrier or "—",
        "Tracking number": order.tracking_number or "—",
        "Cancel reason": order.cancel_reason or "—",
    }


def field_changes(order: OrderAsItWas, before: OrderAsItWas | None) -> list[FieldChange]:
    then = describe(before) if before is not None else {}
    return [FieldChange(label, value, then.get(label)) for label, value in describe(order).items()]


def line_changes(order: OrderAsItWas, before: OrderAsItWas | None) -> list[LineChange]:
    """Every line of ``order``, marked against ``before``, then the lines it no longer has."""
    old = {line.product_id: line for line in (before.lines if before else ())}
    rows = []
    for line in order.lines:
        was = old.pop(line.product_id, None)
        change = "" if before is None else ADDED if was is None else ""
        if was is not None and was.quantity != line.quantity:
            change = CHANGED
        quantity_before = was.quantity if was is not None else None
        rows.append(_line(line, change, quantity_before))
    rows += [_line(line, REMOVED, line.quantity) for line in old.values()]
    return rows


def _line(line: Any, change: str, quantity_before: int | None) -> LineChange:
    return LineChange(
        line.product_id, line.product_name, line.quantity, line.unit_price, change, quantity_before
    )


def _address(address: Any) -> str:
    if address is None:
        return "—"
    parts = [address.line1, address.line2, f"{address.postal_code} {address.city}", address.country]
    return ", ".join(part for part in parts if part)
