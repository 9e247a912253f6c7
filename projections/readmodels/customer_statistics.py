"""The customer directory and the customer statistics.

Statistics keep one private ``Lookup`` per order (its customer, the amount paid,
whether it was paid or cancelled), guarded by the order's stream version, so the
counters move once per event however often an event is replayed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventstore.events import DomainEvent
from eventstore.store import RecordedEvent
from orders.events import (
    CustomerEmailChanged,
    CustomerRegistered,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderRefunded,
    OrderShipped,
)
from projections.models import CustomerStatistics, DirectoryCustomer, Lookup
from projections.projection import Projection, first_sight, handles, register
from projections.rows import Key, Rows


@register
class CustomerDirectoryProjection(Projection):
    name = "customer_directory"
    tables = (DirectoryCustomer,)

    def keys(self, event: DomainEvent) -> Iterable[Key]:
        yield DirectoryCustomer, event.customer_id  # type: ignore[attr-defined]

    @handles(CustomerRegistered)
    def customer_registered(self, rows: Rows, e: CustomerRegistered, r: RecordedEvent) -> None:
        row = rows.edit_or_create(DirectoryCustomer, e.customer_id)
        if first_sight(row, r):
            row.name, row.email, row.phone = e.name, e.email, e.phone
            row.registered_at = r.recorded_at

    @handles(CustomerEmailChanged)
    def customer_email_changed(self, rows: Rows, e: CustomerEmailChanged, r: RecordedEvent) -> None:
        row = rows.edit(DirectoryCustomer, e.customer_id)
        if row is not None and first_sight(row, r):
            row.email = e.email


def order_key(order_id: Any) -> str:
    return f"order:{order_id}"


@register
class CustomerStatisticsProjection(Projection):
    name = "customer_statistics"
    tables = (CustomerStatistics, Lookup)

    def keys(self, event: DomainEvent) -> Iterable[Key]:
        customer_id = getattr(event, "customer_id", None)
        if customer_id is not None:
            yield CustomerStatistics, customer_id
        order_id = getattr(event, "order_id", None)
        if order_id is not None:
            yield Lookup, order_key(order_id)

    def keys_after(self, event: DomainEvent, rows: Rows) -> Iterable[Key]:
        order_id = getattr(event, "order_id", None)
        order = rows.find(Lookup, order_key(order_id)) if order_id is not None else None
        if order is not None:
            yield CustomerStatistics, UUID(order.data["customer_id"])

    @handles(CustomerRegistered)
    def customer_registered(self, rows: Rows, e: CustomerRegistered, r: RecordedEvent) -> None:
        first_sight(rows.edit_or_create(CustomerStatistics, e.customer_id), r)

    @handles(OrderCreated)
    def order_created(self, rows: Rows, e: OrderCreated, r: RecordedEvent) -> None:
        order = rows.edit_or_create(Lookup, order_key(e.order_id), data={})
        if not first_sight(order, r):
            return
        order.data = {"customer_id": str(e.customer_id), "paid": None, "cancelled": False}
        stats = self._stats(rows, e.customer_id, r)
        stats.orders_placed += 1
        stats.first_order_at = min(stats.first_order_at or r.recorded_at, r.recorded_at)
        stats.last_order_at = max(stats.last_order_at or r.recorded_at, r.recorded_at)

    @handles(OrderPaid)
    def order_paid(self, rows: Rows, e: OrderPaid, r: RecordedEvent) -> None:
        order, stats = self._order_news(rows, e.order_id, r)
        if stats is not None:
            order.data = {**order.data, "paid": str(e.amount)}
            stats.orders_paid += 1
            if not order.data["cancelled"]:
                stats.spending_orders += 1
                stats.total_spent += e.amount

    @handles(OrderShipped)
    def order_shipped(self, rows: Rows, e: OrderShipped, r: RecordedEvent) -> None:
        _, stats = self._order_news(rows, e.order_id, r)
        if stats is not None:
            stats.orders_shipped += 1

    @handles(OrderRefunded)
    def order_refunded(self, rows: Rows, e: OrderRefunded, r: RecordedEvent) -> None:
        _, stats = self._order_news(rows, e.order_id, r)
        if stats is not None:
            stats.orders_refunded += 1
            stats.total_refunded += e.amount

    @handles(OrderCancelled)
    def order_cancelled(self, rows: Rows, e: OrderCancelled, r: RecordedEvent) -> None:
        order, stats = self._order_news(rows, e.order_id, r)
        if stats is not None:
            stats.orders_cancelled += 1
            if order.data["paid"] is not None:
                stats.spending_orders -= 1
                stats.total_spent -= Decimal(order.data["paid"])
            order.data = {**order.data, "cancelled": True}

    def _order_news(self, rows: Rows, order_id: Any, r: RecordedEvent) -> tuple[Any, Any]:
        """The order's lookup and its customer's statistics, if this event is news to the order."""
        order = rows.edit(Lookup, order_key(order_id))
        if order is None or not first_sight(order, r):
            return order, None
        return order, self._stats(rows, UUID(order.data["customer_id"]), r)

    def _stats(self, rows: Rows, customer_id: UUID, r: RecordedEvent) -> CustomerStatistics:
        stats = rows.edit_or_create(CustomerStatistics, customer_id)
        stats.position = r.position
        return stats
