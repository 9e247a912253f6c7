"""The customer statistics (projection ``customer_statistics``): per customer order
figures.

They keep one private ``Lookup`` per order (its customer, the amount paid,
whether it was paid or cancelled), guarded by the order's stream version, so the
counters move once per event however often an event is replayed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from django.db import models

from eventstore.events import DomainEvent
from eventstore.store import RecordedEvent
from orders.events import (
    CustomerRegistered,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderRefunded,
    OrderShipped,
)
from projections.engine.projection import Projection, first_sight, handles, register
from projections.engine.read_model import Lookup, ReadModel
from projections.engine.rows import Key, Rows
from projections.readmodels.money import CentsField


class CustomerStatistics(ReadModel):
    """Per customer order figures (projection ``customer_statistics``).

    ``spending_orders`` counts the orders paid and not cancelled, the ones behind
    ``total_spent`` and the average order value. A paid order that is cancelled is
    refunded: it leaves ``total_spent`` and counts in ``orders_refunded`` and
    ``total_refunded``.
    """

    key_field = "customer_id"

    customer_id = models.UUIDField()
    orders_placed = models.PositiveIntegerField(default=0)
    orders_paid = models.PositiveIntegerField(default=0)
    orders_shipped = models.PositiveIntegerField(default=0)
    orders_cancelled = models.PositiveIntegerField(default=0)
    spending_orders = models.PositiveIntegerField(default=0)
    total_spent = CentsField(default=Decimal("0.00"))
    orders_refunded = models.PositiveIntegerField(default=0)
    total_refunded = CentsField(default=Decimal("0.00"))
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "customer statistics"
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "customer_id"], name="customer_statistics_key"
            ),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id}: {self.orders_placed} orders"

    @property
    def average_order_value(self) -> Decimal:
        if not self.spending_orders:
            return Decimal("0.00")
        return (Decimal(self.total_spent) / self.spending_orders).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )


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
