"""Staff browse the read models here, read-only, and watch the projections' health.

Orders (list and details), customer statistics, the customer directory and the
catalog: each admin shows its projection's active generation, links a row to
its events, and offers no add, change or delete to anyone (``admin_base``). The
order page (``admin_orders``) adds lines, payment, shipping and the timeline,
and time travel replays the order from the event store. The projection states' list is the
health page, with Rebuild and Retry for holders of ``rebuild_projection``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.utils.html import format_html
from django.utils.safestring import SafeString

from eventstore.admin import ReadOnlyModelAdmin
from eventstore.admin_views import stream_url
from projections.admin import orders as order_admins  # noqa: F401  (registers them)
from projections.admin import views as pages
from projections.admin.base import (
    ReadModelAdmin,
    active_generation,
    admin_urls,
    change_url,
    changelist_url,
    date_and_time,
    link,
)
from projections.models import (
    CatalogProduct,
    CustomerStatistics,
    DirectoryCustomer,
    OrderSummary,
    ProjectionState,
)

CURRENCY = f"Amounts in {settings.SHOP_CURRENCY}"


def column(field: str, label: str) -> Any:
    """A list column showing ``field`` under a short ``label``, sortable by it."""

    @admin.display(description=label, ordering=field)
    def show(self: Any, row: Any) -> Any:
        return getattr(row, field)

    return show


@admin.register(CustomerStatistics)
class CustomerStatisticsAdmin(ReadModelAdmin):
    """Figures per customer; name and email come from the customer directory's rows."""

    projection = "customer_statistics"
    stream_type = "customer"
    list_display = (
        "customer",
        "placed",
        "paid",
        "shipped",
        "cancelled",
        "spent",
        "average",
        "last_order",
    )
    search_fields = ("customer_name", "customer_email", "=customer_id")
    search_help_text = "Customer name or email (or part of them), or a customer id."
    ordering = ("-total_spent", "customer_id")
    list_per_page = 50
    fieldsets = (
        ("Customer", {"fields": ("customer_name", "customer_email", "customer_id", "orders")}),
        (
            "Orders",
            {"fields": ("orders_placed", "orders_paid", "orders_shipped", "orders_cancelled")},
        ),
        (CURRENCY, {"fields": ("spending_orders", "total_spent", "average", "refunds")}),
        ("Dates", {"fields": ("first_order_at", "last_order_at")}),
        ("Projection", {"fields": ("version", "position", "generation")}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        entry = DirectoryCustomer.objects.filter(
            generation=active_generation("customer_directory"), customer_id=OuterRef("customer_id")
        )
        names = Subquery(entry.values("name")[:1])
        emails = Subquery(entry.values("email")[:1])
        return super().get_queryset(request).annotate(customer_name=names, customer_email=emails)

    placed = column("orders_placed", "Placed")
    paid = column("orders_paid", "Paid")
    shipped = column("orders_shipped", "Shipped")
    cancelled = column("orders_cancelled", "Cancelled")
    spent = column("total_spent", "Spent")

    @admin.display(description="Customer", ordering="customer_name")
    def customer(self, row: Any) -> SafeString:
        """The name, linked to the figures, above the email."""
        return format_html(
            '<a href="{}">{}</a><div class="chronicle-quiet">{}</div>',
            change_url(CustomerStatistics, row.customer_id),
            self.customer_name(row),
            row.customer_email or "",
        )

    @admin.display(description="Last order", ordering="last_order_at")
    def last_order(self, row: CustomerStatistics) -> SafeString | str:
        return date_and_time(row.last_order_at) if row.last_order_at else "—"

    @admin.display(description="Customer", ordering="customer_name")
    def customer_name(self, row: Any) -> str:
        return row.customer_name or str(row.customer_id)

    @admin.display(description="Email", ordering="customer_email")
    def customer_email(self, row: Any) -> str:
        return row.customer_email or "—"

    @admin.display(description="Average")
    def average(self, row: CustomerStatistics) -> str:
        return f"{row.average_order_value:.2f}"

    @admin.display(description="Refunded")
    def refunds(self, row: CustomerStatistics) -> str:
        orders, amount = row.orders_refunded, row.total_refunded
        return f"{amount:.2f} ({orders} order{'' if orders == 1 else 's'})"

    @admin.display(description="Their orders")
    def orders(self, row: CustomerStatistics) -> SafeString:
        return link(changelist_url(OrderSummary, customer_id=row.customer_id), "Order list")


@admin.register(DirectoryCustomer)
class DirectoryCustomerAdmin(ReadModelAdmin):
    projection = "customer_directory"
    stream_type = "customer"
    list_display = ("name", "email", "phone", "registered", "statistics")
    search_fields = ("name", "email", "phone", "=customer_id")
    search_help_text = "Name, email or phone (or part of them), or a customer id."
    date_hierarchy = "registered_at"
    ordering = ("name", "customer_id")
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("name", "email", "phone", "registered_at", "customer_id")}),
        ("Elsewhere", {"fields": ("statistics", "orders")}),
        ("Projection", {"fields": ("version", "position", "generation")}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="Registered", ordering="registered_at")
    def registered(self, row: DirectoryCustomer) -> SafeString:
        return date_and_time(row.registered_at)

    @admin.display(description="Statistics")
    def statistics(self, row: DirectoryCustomer) -> SafeString:
        return link(change_url(CustomerStatistics, row.customer_id), "Figures")

    @admin.display(description="Orders")
    def orders(self, row: DirectoryCustomer) -> SafeString:
        return link(changelist_url(OrderSummary, customer_id=row.customer_id), "Order list")


class StockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"
    LOW = 10

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("out", "None available"), ("low", f"Fewer than {self.LOW}"), ("ok", "Plenty")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        available = F("stock_on_hand") - F("stock_reserved")
        rows = queryset.alias(available=available)
        match self.value():
            case "out":
                return rows.filter(available__lte=0)
            case "low":
                return rows.filter(available__gt=0, available__lt=self.LOW)
            case "ok":
                return rows.filter(available__gte=self.LOW)
        return queryset


@admin.register(CatalogProduct)
class CatalogProductAdmin(ReadModelAdmin):
    projection = "catalog"
    stream_type = "product"
    list_display = ("sku", "name", "price", "stock_on_hand", "stock_reserved", "available")
    list_display_links = ("sku", "name")
    list_filter = (StockFilter,)
    search_fields = ("sku", "name", "=product_id")
    search_help_text = "SKU or name (or part of them), or a product id."
    ordering = ("sku",)
    fieldsets = (
        (None, {"fields": ("sku", "name", "price", "image_url", "product_id")}),
        ("Stock", {"fields": ("stock_on_hand", "stock_reserved", "available", "inventory")}),
        ("Projection", {"fields": ("version", "position", "generation")}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).exclude(sku="")  # stock seen before its product

    @admin.display(description="Available")
    def available(self, row: CatalogProduct) -> int:
        return row.available_stock

    @admin.display(description="Stock events")
    def inventory(self, row: CatalogProduct) -> SafeString:
        stream = f"inventory-{row.product_id}"
        return format_html('<a href="{}">{}</a>', stream_url(stream), stream)


@admin.register(ProjectionState)
class ProjectionStateAdmin(ReadOnlyModelAdmin):
    """The list is the health page; a state row's own page shows its raw columns."""

    readonly_fields = [f.name for f in ProjectionState._meta.fields]

    def get_urls(self) -> list[URLPattern]:
        routes = (  # the desk's before "<name>/retry/", which would take "desk/retry/"
            ("desk/", pages.desk_page, "projections_desk"),
            ("desk/retry/", pages.desk_retry, "projections_desk_retry"),
            ("desk/skip/", pages.desk_skip, "projections_desk_skip"),
            ("<str:name>/rebuild/", pages.rebuild, "projections_projectionstate_rebuild"),
            ("<str:name>/rebuild/review/", pages.rebuild_review, "projections_rebuild_review"),
            ("<str:name>/rebuild/decide/", pages.rebuild_decide, "projections_rebuild_decide"),
            ("<str:name>/retry/", pages.retry, "projections_projectionstate_retry"),
            ("event-catalog/", pages.event_catalog_page, "projections_event_catalog"),
        )
        return [*admin_urls(self, *routes), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> TemplateResponse:
        return pages.health_page(self, request)
