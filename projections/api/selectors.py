"""Query functions over the read models (never the write side's tables).

Each takes the ``ReadView`` its caller resolved (``projections.engine.freshness``) and
who is asking. Staff see everything; a customer login sees its own customer's
orders, statistics and directory entry, and anything else is "not found", so
whether another customer's order exists is never revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.db.models import QuerySet

from orders.access import customer_id_for
from problems import NotFound
from projections.engine.freshness import ReadView
from projections.models import (
    CatalogProduct,
    CustomerStatistics,
    DirectoryCustomer,
    OrderDetail,
    OrderSummary,
    ReadModel,
)

M = TypeVar("M", bound=ReadModel)


@dataclass(frozen=True)
class Viewer:
    staff: bool
    customer_id: UUID | None

    def may_see(self, customer_id: UUID) -> bool:
        return self.staff or (self.customer_id is not None and self.customer_id == customer_id)


def viewer_of(user: Any) -> Viewer:
    if user.is_staff:
        return Viewer(staff=True, customer_id=None)
    return Viewer(staff=False, customer_id=customer_id_for(user))


def order_list(view: ReadView, viewer: Viewer) -> QuerySet[OrderSummary]:
    """Orders newest first (ties by order number), limited to what ``viewer`` may see."""
    orders = _rows(OrderSummary, view).order_by("-created_at", "order_number")
    if viewer.staff:
        return orders
    if viewer.customer_id is None:
        return orders.none()
    return orders.filter(customer_id=viewer.customer_id)


def order_get(view: ReadView, viewer: Viewer, order_id: UUID) -> OrderDetail:
    order = _rows(OrderDetail, view).filter(order_id=order_id).first()
    if order is None or not viewer.may_see(order.customer_id):
        raise NotFound(f"no order {order_id}")
    return order


def customer_statistics_get(
    view: ReadView, viewer: Viewer, customer_id: UUID
) -> CustomerStatistics:
    statistics = _rows(CustomerStatistics, view).filter(customer_id=customer_id).first()
    if statistics is None or not viewer.may_see(customer_id):
        raise NotFound(f"no customer {customer_id}")
    return statistics


def customer_list(view: ReadView) -> QuerySet[DirectoryCustomer]:
    return _rows(DirectoryCustomer, view).order_by("name", "customer_id")


def customer_get(view: ReadView, viewer: Viewer, customer_id: UUID | None) -> DirectoryCustomer:
    if customer_id is None:
        raise NotFound("no customer for this login")
    customer = _rows(DirectoryCustomer, view).filter(customer_id=customer_id).first()
    if customer is None or not viewer.may_see(customer_id):
        raise NotFound(f"no customer {customer_id}")
    return customer


def product_list(view: ReadView) -> QuerySet[CatalogProduct]:
    return _rows(CatalogProduct, view).exclude(sku="").order_by("name", "sku")


def product_get(view: ReadView, product_id: UUID) -> CatalogProduct:
    product = product_list(view).filter(product_id=product_id).first()
    if product is None:
        raise NotFound(f"no product {product_id}")
    return product


def _rows(model: type[M], view: ReadView) -> QuerySet[M]:
    return model._default_manager.filter(generation=view.generation)
