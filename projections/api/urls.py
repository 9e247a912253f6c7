"""Query-only routes. The list paths shared with commands (``/api/orders/``,
``/api/customers/``, ``/api/products/``) are wired in config/urls.py, which
combines ``projections.api.views``'s list views with their command views.

Paths are written as the contract writes them; config.middleware makes a trailing
slash optional under /api/ (no redirects). Ids must be UUIDs, so anything else
falls through to the API's problem+json 404.
"""

from django.urls import re_path

from projections.api import events, views
from projections.api.health import HealthApi

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def order(tail: str) -> str:
    return rf"^api/orders/(?P<order_id>{UUID}){tail}$"


urlpatterns = [
    re_path(order(""), views.OrderDetailApi.as_view(), name="order-detail"),
    re_path(order("/history"), events.OrderHistoryApi.as_view(), name="order-history"),
    re_path(order("/state"), events.OrderStateApi.as_view(), name="order-state"),
    re_path(order("/events"), events.OrderEventsApi.as_view(), name="order-events"),
    re_path(r"^api/customers/me$", views.CustomerMeApi.as_view(), name="customer-me"),
    re_path(
        rf"^api/customers/(?P<customer_id>{UUID})$",
        views.CustomerDetailApi.as_view(),
        name="customer-detail",
    ),
    re_path(
        rf"^api/customers/(?P<customer_id>{UUID})/statistics$",
        views.CustomerStatisticsApi.as_view(),
        name="customer-statistics",
    ),
    re_path(
        rf"^api/products/(?P<product_id>{UUID})$",
        views.ProductDetailApi.as_view(),
        name="product-detail",
    ),
    re_path(
        rf"^api/products/(?P<product_id>{UUID})/stock$",
        views.ProductStockApi.as_view(),
        name="product-stock",
    ),
    re_path(r"^api/stock/$", views.StockListApi.as_view(), name="stock"),
    re_path(r"^api/events/$", events.EventLogApi.as_view(), name="event-log"),
    re_path(r"^healthz$", HealthApi.as_view(), name="healthz"),
]
