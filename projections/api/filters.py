"""Filters and ordering of the order list (django-filter)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from orders.status import STATUSES, Fulfillment
from projections.api.enums import EnumFilter
from projections.models import OrderSummary

TIE_BREAKER = "order_number"


class InstantField(IsoDateTimeField):
    """An ISO 8601 instant, turned to UTC: ISO 8601 allows offsets up to ±23:59 but
    PostgreSQL refuses those past ±15:59 (a 500 where a 400 or an answer is due)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError("out of range in UTC", code="invalid") from None


class InstantFilter(filters.IsoDateTimeFilter):
    field_class = InstantField


class AmountFilter(filters.NumberFilter):
    """An amount of money: at most 10 digits before the point and 2 after, as totals are.
    A bare decimal (``1e-200000``) would overflow PostgreSQL's numeric: a 500, not a 400."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("help_text", "An amount with at most two decimal places, e.g. 12.50.")
        super().__init__(*args, **kwargs)


class OrderingWithTieBreak(filters.OrderingFilter):
    """Order by the chosen field, then by order number so pages are stable. Empty
    entries (``ordering=,``) are no choice, as an empty ``ordering`` is."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        chosen = [self.get_ordering_value(v) for v in value or [] if v]
        if not chosen:
            return qs
        return qs.order_by(*chosen, TIE_BREAKER)


class OrderFilter(filters.FilterSet):
    status = EnumFilter(STATUSES, help_text="Any case: shipped or SHIPPED.")
    fulfillment = EnumFilter(
        Fulfillment.STATES,
        help_text="Any case; e.g. READY_TO_SHIP: the orders staff may ship.",
    )
    customer_id = filters.UUIDFilter()
    customer_email = filters.CharFilter(
        lookup_expr="icontains", help_text="Part of the customer's email, any case."
    )
    min_amount = AmountFilter(field_name="total_amount", lookup_expr="gte")
    max_amount = AmountFilter(field_name="total_amount", lookup_expr="lte")
    created_after = InstantFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = InstantFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created strictly before (ISO 8601)."
    )
    ordering = OrderingWithTieBreak(
        fields=(("created_at", "created_at"), ("total_amount", "total_amount")),
        help_text="created_at or total_amount, '-' for descending; ties by order number. "
        "Default: -created_at.",
    )

    class Meta:
        model = OrderSummary
        fields: list[str] = []
