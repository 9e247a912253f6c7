"""The query routes as config/urls.py will wire them, for tests that run before
that wiring exists: projections.urls plus the three shared list paths."""

from django.urls import include, path, re_path

from problems.handler import api_not_found
from projections.api import CustomerDirectoryApi, OrderListApi, ProductCatalogApi

urlpatterns = [
    re_path(r"^api/orders/?$", OrderListApi.as_view()),
    re_path(r"^api/customers/?$", CustomerDirectoryApi.as_view()),
    re_path(r"^api/products/?$", ProductCatalogApi.as_view()),
    path("", include("projections.urls")),
    re_path(r"^api/", api_not_found),
]
