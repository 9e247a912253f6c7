"""Filters and ordering of the order list (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet

from projections.models import ORDER_STATUSES, OrderSummary

TIE_BREAKER = "order_number"


class OrderingWithTieBreak(filters.OrderingFilter):
    """Order by the chosen field, then by order number so pages are stable."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if not value:
            return qs
        return qs.order_by(*[self.get_ordering_value(v) for v in value], TIE_BREAKER)


class OrderFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ORDER_STATUSES)
    customer_id = filters.UUIDFilter()
    customer_email = filters.CharFilter(
        lookup_expr="icontains", help_text="Part of the customer's email, any case."
    )
    min_amount = filters.NumberFilter(field_name="total_amount", lookup_expr="gte")
    max_amount = filters.NumberFilter(field_name="total_amount", lookup_expr="lte")
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = filters.IsoDateTimeFilter(
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
