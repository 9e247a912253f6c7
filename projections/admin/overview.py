"""The admin index's overview: events over time, orders by status, projection lag.

Each part is computed only when the index template asks for it, and only for staff
who may see what it summarises (the events, the order list, the projection
states); anyone else gets None and the part is left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from eventstore.admin_views import verification_status
from eventstore.models import Event
from projections import desk
from projections.admin import charts
from projections.admin.base import active_generation, changelist_url
from projections.engine.status import ProjectionStatus, projection_statuses
from projections.models import ORDER_STATUSES, OrderSummary


@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int
    largest: int  # the largest count of any status: its bar is full width

    @property
    def width(self) -> float:
        return 100 * self.count / self.largest if self.largest else 0.0

    @property
    def url(self) -> str:
        return changelist_url(OrderSummary, status__exact=self.status)


class Overview:
    def __init__(self, user: Any, now: dt.datetime | None = None) -> None:
        self.user = user
        self.now = timezone.localtime(now or timezone.now())

    @cached_property
    def events_chart(self) -> charts.BarChart | None:
        if not self.user.has_perm("eventstore.view_event"):
            return None
        oldest = Event.objects.order_by("position").values_list("recorded_at", flat=True)[:1]
        span = max(self.now - oldest[0], dt.timedelta(0)) if oldest else dt.timedelta(0)
        scale = charts.scale_for(span)
        bars = charts.bars_for(span, scale)
        first = scale.floor(self.now) - (bars - 1) * scale.step
        rows = (
            Event.objects.filter(recorded_at__gte=first)
            .annotate(bar=scale.trunc("recorded_at"))
            .order_by()
            .values_list("bar")
            .annotate(count=Count("pk"))
        )
        return charts.bucketed(dict(rows), scale, first, bars)

    @cached_property
    def orders_by_status(self) -> list[StatusCount] | None:
        if not self.user.has_perm("projections.view_ordersummary"):
            return None
        rows = OrderSummary.objects.filter(generation=active_generation("order_list"))
        counts = dict(rows.order_by().values_list("status").annotate(count=Count("pk")))
        largest = max(counts.values(), default=0)
        return [StatusCount(status, counts.get(status, 0), largest) for status, _ in ORDER_STATUSES]

    @cached_property
    def projections(self) -> list[ProjectionStatus] | None:
        if not self.user.has_perm("projections.view_projectionstate"):
            return None
        return projection_statuses()

    @cached_property
    def stuck(self) -> int | None:
        """Items on the dead-letter desk past its threshold (shown in red)."""
        if not self.user.has_perm("projections.view_projectionstate"):
            return None
        return desk.overdue_count()

    @cached_property
    def verification(self) -> dict[str, Any] | None:
        """The log's last verification, or its breaks in red (eventstore/verification.py)."""
        if not self.user.has_perm("eventstore.view_event"):
            return None
        return verification_status()

    @property
    def desk_url(self) -> str:
        return reverse("admin:projections_desk")

    @property
    def health_url(self) -> str:
        return reverse("admin:projections_projectionstate_changelist")
