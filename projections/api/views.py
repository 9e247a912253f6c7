"""The query API over read models: one class per operation, GET only.

``OrderListApi``, ``CustomerDirectoryApi`` and ``ProductCatalogApi`` share their
paths with commands: config/urls.py combines each with its command view (this
class first), so none of them defines ``post`` and nothing here touches POST.

Every view resolves its read model once (``freshness.read_view``), waiting for
``min_position`` when given, and answers with ``X-Projection-Position`` and
``X-Projection-Stale`` (``true`` when ``min_position`` was not reached in time). Checks
run in the contract's order: 401, 404, 403, 400.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from problems import Problem
from projections.api import selectors
from projections.api import serializers as out
from projections.api.filters import OrderFilter
from projections.api.schema import (
    CUSTOMER_ID,
    ETAG,
    ORDER_ID,
    PRODUCT_ID,
    READ_MODEL,
    READ_YOUR_WRITES,
    problems,
)
from projections.api.selectors import viewer_of
from projections.engine.freshness import ReadView, read_view
from projections.models import CatalogProduct, DirectoryCustomer, OrderSummary

MAX_POSITION = 2**63 - 1


class PagePagination(PageNumberPagination):
    """``page`` and ``page_size`` (default 20, above 100 clamped); a page past the end is 404.

    The ``next`` and ``previous`` links carry the page size used, so a clamped
    ``page_size=1000`` reads on as ``page_size=100``."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_page_message = "no page {page_number}"

    def get_next_link(self) -> str | None:
        return self._with_size(super().get_next_link())

    def get_previous_link(self) -> str | None:
        return self._with_size(super().get_previous_link())

    def _with_size(self, link: str | None) -> str | None:
        request = self.request
        if link is None or request is None or "page_size" not in request.query_params:
            return link
        size = self.get_page_size(request)
        return replace_query_param(link, self.page_size_query_param, size)


class ReadModelApi(GenericAPIView):
    """Resolves the read model (waiting for ``min_position``) and reports its position."""

    projection: ClassVar[str]
    resolved: ReadView | None = None
    _bad_min_position: Problem | None = None

    def resolve(self, request: Request) -> ReadView:
        position = self._min_position(request.query_params.get("min_position"))
        self.resolved = read_view(self.projection, position)
        return self.resolved

    def check_query(self) -> None:
        """The 400 for a malformed ``min_position``, raised after the 404 and 403 checks."""
        if self._bad_min_position is not None:
            raise self._bad_min_position

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.resolved is not None:
            response["X-Projection-Position"] = str(self.resolved.position)
            response["X-Projection-Stale"] = "true" if self.resolved.stale else "false"
        return response

    def _min_position(self, raw: str | None) -> int | None:
        if raw in (None, ""):
            return None
        if raw.isascii() and raw.isdigit() and int(raw) <= MAX_POSITION:
            return int(raw)
        self._bad_min_position = Problem(
            "min_position must be a non-negative integer",
            errors=[{"field": "min_position", "message": "must be a non-negative integer"}],
        )
        return None


class ReadModelListApi(ReadModelApi, ListAPIView):
    pagination_class = PagePagination
    staff_only = False

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if self.staff_only and not request.user.is_staff:
            raise PermissionDenied("only staff may list this")
        self.resolve(request)
        self.check_query()
        return self.list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        if self.resolved is None:  # schema generation: the class's empty queryset
            return super().get_queryset()
        return self.select(self.resolved)

    def select(self, view: ReadView) -> QuerySet[Any]:
        raise NotImplementedError


class OrderListApi(ReadModelListApi):
    projection = "order_list"
    queryset = OrderSummary.objects.none()
    serializer_class = out.OrderSummaryOut
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderFilter

    def select(self, view: ReadView) -> QuerySet[Any]:
        return selectors.order_list(view, viewer_of(self.request.user))

    @extend_schema(
        summary="List orders",
        description="Staff see every order, a customer their own. Newest first by default; "
        "pages of `page_size` (at most 100). " + READ_YOUR_WRITES,
        parameters=READ_MODEL,
        responses={200: out.OrderSummaryOut(many=True), **problems(400, 401, 404)},
        tags=["orders"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class OrderDetailApi(ReadModelApi):
    projection = "order_details"

    @extend_schema(
        summary="Get an order with its lines and timeline",
        description="The order's details read model: lines with product names and images, "
        "payment, shipping, fulfillment and the timeline of its events; `ETag` is the "
        "stream version, to send back as If-Match. " + READ_YOUR_WRITES,
        parameters=[ORDER_ID, *READ_MODEL, ETAG],
        responses={200: out.OrderDetailOut, **problems(400, 401, 404)},
        tags=["orders"],
    )
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(self.resolve(request), viewer_of(request.user), UUID(order_id))
        self.check_query()
        return Response(out.OrderDetailOut(order).data, headers={"ETag": f'"{order.version}"'})


class CustomerStatisticsApi(ReadModelApi):
    projection = "customer_statistics"

    @extend_schema(
        summary="A customer's order statistics",
        description="Orders placed, paid, shipped, cancelled and refunded, amounts spent and "
        "refunded, first and last order. Staff, or that customer. " + READ_YOUR_WRITES,
        parameters=[CUSTOMER_ID, *READ_MODEL],
        responses={200: out.CustomerStatisticsOut, **problems(400, 401, 404)},
        tags=["customers"],
    )
    def get(self, request: Request, customer_id: str) -> Response:
        view = self.resolve(request)
        statistics = selectors.customer_statistics_get(
            view, viewer_of(request.user), UUID(customer_id)
        )
        self.check_query()
        return Response(out.CustomerStatisticsOut(statistics).data)


class CustomerMeApi(ReadModelApi):
    projection = "customer_directory"

    @extend_schema(
        summary="The directory entry of the customer this login acts for",
        description="404 for logins not linked to a customer (staff). " + READ_YOUR_WRITES,
        parameters=READ_MODEL,
        responses={200: out.DirectoryCustomerOut, **problems(400, 401, 404)},
        tags=["customers"],
    )
    def get(self, request: Request) -> Response:
        viewer = viewer_of(request.user)
        customer = selectors.customer_get(self.resolve(request), viewer, viewer.customer_id)
        self.check_query()
        return Response(out.DirectoryCustomerOut(customer).data)


class CustomerDetailApi(ReadModelApi):
    projection = "customer_directory"

    @extend_schema(
        summary="One customer's directory entry",
        description="Staff see any customer, a customer login its own; any other is 404.",
        parameters=[CUSTOMER_ID, *READ_MODEL],
        responses={200: out.DirectoryCustomerOut, **problems(400, 401, 404)},
        tags=["customers"],
    )
    def get(self, request: Request, customer_id: str) -> Response:
        view = self.resolve(request)
        customer = selectors.customer_get(view, viewer_of(request.user), UUID(customer_id))
        self.check_query()
        return Response(out.DirectoryCustomerOut(customer).data)


class CustomerDirectoryApi(ReadModelListApi):
    projection = "customer_directory"
    queryset = DirectoryCustomer.objects.none()
    serializer_class = out.DirectoryCustomerOut
    staff_only = True

    def select(self, view: ReadView) -> QuerySet[Any]:
        return selectors.customer_list(view)

    @extend_schema(
        summary="The customer directory (staff)",
        description="Every customer by name, in pages of `page_size` (at most 100). "
        + READ_YOUR_WRITES,
        parameters=READ_MODEL,
        responses={200: out.DirectoryCustomerOut(many=True), **problems(400, 401, 403, 404)},
        tags=["customers"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ProductCatalogApi(ReadModelListApi):
    projection = "catalog"
    queryset = CatalogProduct.objects.none()
    serializer_class = out.CatalogProductOut

    def select(self, view: ReadView) -> QuerySet[Any]:
        return selectors.product_list(view)

    @extend_schema(
        summary="The catalog: products with price and available stock",
        description="Every product by name, in pages of `page_size` (at most 100); "
        "`available_stock` is on hand less reserved. " + READ_YOUR_WRITES,
        parameters=READ_MODEL,
        responses={200: out.CatalogProductOut(many=True), **problems(400, 401, 404)},
        tags=["products"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ProductDetailApi(ReadModelApi):
    projection = "catalog"

    @extend_schema(
        summary="One product of the catalog",
        description="Its SKU, name, image, price and available stock. " + READ_YOUR_WRITES,
        parameters=[PRODUCT_ID, *READ_MODEL],
        responses={200: out.CatalogProductOut, **problems(400, 401, 404)},
        tags=["products"],
    )
    def get(self, request: Request, product_id: str) -> Response:
        product = selectors.product_get(self.resolve(request), UUID(product_id))
        self.check_query()
        return Response(out.CatalogProductOut(product).data)


class StockListApi(ReadModelListApi):
    projection = "catalog"
    queryset = CatalogProduct.objects.none()
    serializer_class = out.ProductStockOut
    staff_only = True

    def select(self, view: ReadView) -> QuerySet[Any]:
        return selectors.product_list(view)

    @extend_schema(
        summary="Stock levels of every product (staff): on hand, reserved, available",
        description="Reserved is what paid orders hold until they ship; available is what "
        "new orders may take. " + READ_YOUR_WRITES,
        parameters=READ_MODEL,
        responses={200: out.ProductStockOut(many=True), **problems(400, 401, 403, 404)},
        tags=["products"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ProductStockApi(ReadModelApi):
    projection = "catalog"

    @extend_schema(
        summary="One product's stock levels (staff): on hand, reserved, available",
        description="As in the stock list, for one product. " + READ_YOUR_WRITES,
        parameters=[PRODUCT_ID, *READ_MODEL],
        responses={200: out.ProductStockOut, **problems(400, 401, 403, 404)},
        tags=["products"],
    )
    def get(self, request: Request, product_id: str) -> Response:
        product = selectors.product_get(self.resolve(request), UUID(product_id))
        if not request.user.is_staff:
            raise PermissionDenied("only staff may see stock levels")
        self.check_query()
        return Response(out.ProductStockOut(product).data)
