"""The order list and the order page, read-only; time travel hangs off the order page.

Both lists filter by status, currency and creation date, search order numbers,
customer names and emails, and link each row to the order page, where the
lines, payment, shipping and the timeline (newest first, each entry linked to
its event) are shown from the ``order_details`` read model.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from projections.admin import order_page
from projections.admin import views as pages
from projections.admin.base import ReadModelAdmin, admin_urls, change_url, date_and_time, link
from projections.models import CustomerStatistics, OrderDetail, OrderSummary


class OrderAdmin(ReadModelAdmin):
    """What the order list and the order details share: columns, filters, search."""

    list_display = ("number", "created", "customer", "status_badge", "items", "total")
    list_filter: ClassVar[tuple[Any, ...]] = (
        "status",
        "currency",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("order_number", "customer_name", "customer_email", "=order_id")
    search_help_text = "Order number, customer name or email (or part of them), or an order id."
    date_hierarchy = "created_at"
    ordering = ("-created_at", "order_number")
    list_per_page = 50
    stream_type = "order"

    def url_for(self, row: Any) -> str:
        return change_url(OrderDetail, row.order_id)

    @admin.display(description="Order", ordering="order_number")
    def number(self, row: Any) -> str:
        return row.order_number  # type: ignore[no-any-return]

    @admin.display(description="Created", ordering="created_at")
    def created(self, row: Any) -> SafeString:
        return date_and_time(row.created_at)

    @admin.display(description="Customer", ordering="customer_name")
    def customer(self, row: Any) -> SafeString:
        """The name, linked to the customer's statistics, above the email."""
        return format_html(
            '<a href="{}">{}</a><div class="chronicle-quiet">{}</div>',
            change_url(CustomerStatistics, row.customer_id),
            row.customer_name or "—",
            row.customer_email,
        )

    @admin.display(description="Status", ordering="status")
    def status_badge(self, row: Any) -> SafeString:
        return order_page.status_badge(row.status)

    @admin.display(description="Lines", ordering="item_count")
    def items(self, row: Any) -> int:
        return row.item_count  # type: ignore[no-any-return]

    @admin.display(description="Total", ordering="total_amount")
    def total(self, row: Any) -> str:
        return f"{row.total_amount:.2f} {row.currency}"


@admin.register(OrderSummary)
class OrderSummaryAdmin(OrderAdmin):
    projection = "order_list"
    fieldsets = (
        (None, {"fields": ("details_link", "order_number", "status", "created_at", "updated_at")}),
        ("Customer", {"fields": ("customer",)}),
        ("Amounts", {"fields": ("item_count", "total")}),
        ("Projection", {"fields": ("version", "position", "generation")}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="Order page")
    def details_link(self, row: OrderSummary) -> SafeString:
        return link(change_url(OrderDetail, row.order_id), "Lines, payment, shipping, timeline")


@admin.register(OrderDetail)
class OrderDetailAdmin(OrderAdmin):
    """The order page: a custom change form (``order_page``) and time travel."""

    projection = "order_details"
    list_filter = (
        "status",
        "payment_status",
        "currency",
        ("created_at", admin.DateFieldListFilter),
    )
    change_form_template = "admin/projections/orderdetail/change_form.html"
    fields = ("order_number",)

    def get_urls(self) -> list[URLPattern]:
        name = "projections_orderdetail_time_travel"
        route = ("<uuid:order_id>/time-travel/", pages.time_travel_page, name)
        return [*admin_urls(self, route), *super().get_urls()]

    def object_links(self, row: Any) -> list[tuple[str, str]]:
        travel = reverse("admin:projections_orderdetail_time_travel", args=[row.order_id])
        return [("Time travel", travel), *super().object_links(row)]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context["order"] = order_page.OrderPage(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)
