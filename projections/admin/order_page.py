"""The order page as staff read it: one ``OrderDetail`` row, arranged for its template.

Everything here comes from the ``order_details`` read model; only the links lead
elsewhere (the customer's figures, the order's events, time travel).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString

from eventstore.admin_views import event_url, stream_url, timestamp
from projections.admin.base import change_url, events_url
from projections.models import CatalogProduct, CustomerStatistics, DirectoryCustomer, OrderDetail


def status_badge(status: str) -> SafeString:
    return format_html(
        '<span class="chronicle-badge chronicle-status-{}">{}</span>', status.lower(), status
    )


@dataclass(frozen=True)
class TimelineEntry:
    event_type: str
    version: int
    position: int
    occurred_at: str
    description: str
    url: str
    time_travel_url: str


@dataclass(frozen=True)
class Line:
    product_name: str
    product_id: str
    image_url: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    reservation: str = ""  # reserved, released or issued, once fulfillment keeps it

    @property
    def url(self) -> str:
        return change_url(CatalogProduct, self.product_id)


class OrderPage:
    def __init__(self, order: OrderDetail) -> None:
        self.order = order

    @property
    def status(self) -> SafeString:
        return status_badge(self.order.status)

    @property
    def total(self) -> str:
        return f"{self.order.total_amount:.2f} {self.order.currency}"

    @property
    def fulfillment(self) -> str:
        return self.order.fulfillment.replace("_", " ")

    @cached_property
    def lines(self) -> list[Line]:
        return [
            Line(
                line["product_name"],
                line["product_id"],
                line.get("product_image_url", ""),
                line["quantity"],
                Decimal(line["unit_price"]),
                Decimal(line["line_total"]),
                line.get("reservation") or "",
            )
            for line in self.order.lines
        ]

    @property
    def shows_reservations(self) -> bool:
        return any(line.reservation for line in self.lines)

    @property
    def address(self) -> list[str]:
        a: dict[str, Any] = self.order.shipping_address or {}
        place = " ".join(p for p in (a.get("postal_code", ""), a.get("city", "")) if p)
        return [p for p in (a.get("line1"), a.get("line2"), place, a.get("country")) if p]

    @cached_property
    def timeline(self) -> list[TimelineEntry]:
        """Newest first, each entry linked to its event and to the order at its version."""
        travel = reverse("admin:projections_orderdetail_time_travel", args=[self.order.order_id])
        return [
            TimelineEntry(
                entry["event_type"],
                entry["version"],
                entry["position"],
                _when(entry["occurred_at"]),
                entry.get("description", ""),
                event_url(entry["position"]),
                f"{travel}?version={entry['version']}",
            )
            for entry in reversed(self.order.timeline)
        ]

    @property
    def created(self) -> str:
        return _seconds(self.order.created_at)

    @property
    def updated(self) -> str:
        return _seconds(self.order.updated_at)

    @property
    def customer_url(self) -> str:
        return change_url(CustomerStatistics, self.order.customer_id)

    @property
    def directory_url(self) -> str:
        return change_url(DirectoryCustomer, self.order.customer_id)

    @property
    def stream_id(self) -> str:
        return f"order-{self.order.order_id}"

    @property
    def stream_url(self) -> str:
        return stream_url(self.stream_id)

    @property
    def events_url(self) -> str:
        return events_url(self.stream_id)


def _seconds(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"


def _when(value: str) -> str:
    parsed = parse_datetime(value)
    return timestamp(parsed) if isinstance(parsed, dt.datetime) else value
