"""The order as it was: at a version, as of an instant, or now.

Temporal reads come from the event store, never from read models: the write side's
``Order`` loaded through its repository (the newest usable snapshot at or before the
version, then the later events), handed out as plain values: ``OrderAsItWas`` is the
one picture of an order in the past. The query API (``/api/orders/{id}/state``)
serializes it whole and the admin's time travel shows it (projections/admin/
time_travel.py); neither builds a picture of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventstore import store
from eventstore.errors import StreamNotFound
from orders.events import OrderLine, ShippingAddress
from orders.order import Order
from orders.repositories import orders


class NoSuchOrder(LookupError):
    """No order has that id."""


class NoSuchVersion(LookupError):
    """The order exists, but never had that version."""

    def __init__(self, order_id: UUID, version: int, latest: int) -> None:
        super().__init__(f"order {order_id} has no version {version}; it is at {latest}")
        self.version, self.latest = version, latest


class NotYet(LookupError):
    """The order did not exist yet at the instant asked for; ``began`` is when it did."""

    def __init__(self, order_id: UUID, at: dt.datetime, began: dt.datetime) -> None:
        super().__init__(f"order {order_id} did not exist yet at {at.isoformat()}")
        self.at, self.began = at, began


@dataclass(frozen=True)
class OrderAsItWas:
    """The order's state at ``version``, which its event recorded at ``recorded_at``;
    ``as_of`` is the instant asked for, else ``recorded_at``."""

    order_id: UUID
    version: int
    recorded_at: dt.datetime
    as_of: dt.datetime
    order_number: str
    customer_id: UUID | None
    status: str
    fulfillment: str
    lines: tuple[OrderLine, ...]
    total: Decimal
    currency: str
    shipping_address: ShippingAddress | None
    payment_id: str
    shipment_id: UUID | None
    shipment_reference: str
    carrier: str
    tracking_number: str
    cancel_reason: str


def order_as_it_was(
    order_id: UUID, *, version: int | None = None, as_of: dt.datetime | None = None
) -> OrderAsItWas:
    """The order at ``version``, as of ``as_of`` (its last version recorded at or before
    that instant), both (the last version up to ``version`` recorded by ``as_of``), or
    now when neither is given.

    Raises ``NoSuchOrder``, ``NoSuchVersion`` (not between 1 and the order's latest) or
    ``NotYet`` (``as_of`` before the order's first event).
    """
    stream_id = Order.stream_id_for(order_id)
    latest = store.stream_version(stream_id)
    if latest == 0:
        raise NoSuchOrder(f"no order {order_id}")
    if version is not None and not 1 <= version <= latest:
        raise NoSuchVersion(order_id, version, latest)
    bounds: dict[str, Any] = {}
    if version is not None:
        bounds["at_version"] = version
    if as_of is not None:
        bounds["as_of"] = as_of
    try:
        order = orders.load(order_id, **bounds)
    except StreamNotFound:
        if as_of is None:
            raise NoSuchOrder(f"no order {order_id}") from None
        first = store.read_stream(stream_id, to_version=1)[0]
        raise NotYet(order_id, as_of, first.recorded_at) from None
    (event,) = store.read_stream(stream_id, from_version=order.version, to_version=order.version)
    return OrderAsItWas(
        order_id=order_id,
        version=order.version,
        recorded_at=event.recorded_at,
        as_of=as_of or event.recorded_at,
        order_number=order.order_number,
        customer_id=order.customer_id,
        status=order.status,
        fulfillment=order.fulfillment,
        lines=order.lines,
        total=order.total,
        currency=order.currency,
        shipping_address=order.shipping_address,
        payment_id=order.payment_id,
        shipment_id=order.shipment_id,
        shipment_reference=order.shipment_reference,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        cancel_reason=order.cancel_reason,
    )


def order_events(order_id: UUID) -> list[store.RecordedEvent]:
    """The order's stream as recorded, oldest first; empty when there is no such order."""
    return store.read_stream(Order.stream_id_for(order_id))
