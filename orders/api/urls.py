"""Command routes that have no query twin on the same path."""

from django.urls import path

from orders.api import views

urlpatterns = [
    path(
        "api/customers/<uuid:customer_id>/change-email",
        views.CustomerChangeEmailApi.as_view(),
        name="customer-change-email",
    ),
    path(
        "api/customers/<uuid:customer_id>/forget",
        views.CustomerForgetApi.as_view(),
        name="customer-forget",
    ),
    path(
        "api/products/<uuid:product_id>/change-price",
        views.ProductChangePriceApi.as_view(),
        name="product-change-price",
    ),
    path(
        "api/products/<uuid:product_id>/receive-stock",
        views.ProductReceiveStockApi.as_view(),
        name="product-receive-stock",
    ),
    path(
        "api/orders/<uuid:order_id>/items", views.OrderAddItemApi.as_view(), name="order-add-item"
    ),
    path(
        "api/orders/<uuid:order_id>/items/<uuid:product_id>/remove",
        views.OrderRemoveItemApi.as_view(),
        name="order-remove-item",
    ),
    path("api/orders/<uuid:order_id>/pay", views.OrderPayApi.as_view(), name="order-pay"),
    path("api/orders/<uuid:order_id>/ship", views.OrderShipApi.as_view(), name="order-ship"),
    path("api/orders/<uuid:order_id>/cancel", views.OrderCancelApi.as_view(), name="order-cancel"),
]
