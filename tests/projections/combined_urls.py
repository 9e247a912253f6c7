"""The shared list paths wired as config/urls.py is to wire them: one class per
path, the query view first (its GET), the command view second (its POST)."""

from django.urls import include, path, re_path

from orders.api import views as commands
from problems.handler import api_not_found
from projections.api import CustomerDirectoryApi, OrderListApi, ProductCatalogApi


def shared(name: str, *views: type) -> type:
    return type(name, views, {})


urlpatterns = [
    re_path(
        r"^api/orders/?$", shared("OrdersApi", OrderListApi, commands.OrderCreateApi).as_view()
    ),
    re_path(
        r"^api/customers/?$",
        shared("CustomersApi", CustomerDirectoryApi, commands.CustomerRegisterApi).as_view(),
    ),
    re_path(
        r"^api/products/?$",
        shared("ProductsApi", ProductCatalogApi, commands.ProductAddApi).as_view(),
    ),
    path("", include("orders.api.urls")),
    path("", include("projections.urls")),
    re_path(r"^api/", api_not_found),
]
