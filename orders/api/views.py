"""The command endpoints: one class per operation. Each checks, in the contract's
order, 404 (the path names nothing you may see), 403, 400 (body), then lets the
handler answer 412/409."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import usernames
from orders import access, repositories
from orders import commands as c
from orders.api import serializers as s
from orders.api.commanding import HEADERS, IF_MATCH, CommandApi, responses
from orders.errors import DuplicateUsername
from orders.events import ShippingAddress
from orders.models import CustomerAccount


def _schema(
    request: type | None, success: int = 200, *, if_match: bool = True, tag: str = "commands"
) -> Any:
    params = [*HEADERS, IF_MATCH] if if_match else HEADERS
    return extend_schema(
        request=request, responses=responses(success), parameters=params, tags=[tag]
    )


class CustomerRegisterApi(CommandApi):
    success_status = 201
    uses_if_match = False

    @_schema(s.RegisterCustomerInput, 201, if_match=False, tag="customers")
    def post(self, request: Request) -> Response:
        self.require(request.user.is_staff)
        data = self.validated(s.RegisterCustomerInput, request)
        username, password = data.pop("username", None), data.pop("password", None)
        command = c.RegisterCustomer(**self.context(request), **data)
        if username is None:
            return self.run(request, lambda: command)
        if usernames.is_taken(username):  # the common case, before any event is written
            raise _taken(username)
        return self.run(
            request,
            lambda: command,
            also=lambda _: _create_login(username, password, command.customer_id),
        )


def _create_login(username: str, password: str, customer_id: UUID) -> None:
    """In the command's transaction: a concurrent registration of the same username, in
    any case, waits on the unique index and then fails here, taking its events along."""
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=username, password=password)
    except IntegrityError:  # auth_user.username, or the case-insensitive claim
        raise _taken(username) from None
    CustomerAccount.objects.create(user=user, customer_id=customer_id)


def _taken(username: str) -> DuplicateUsername:
    return DuplicateUsername(f"the username {username!r} is taken")


class CustomerChangeEmailApi(CommandApi):
    @_schema(s.ChangeEmailInput, tag="customers")
    def post(self, request: Request, customer_id: UUID) -> Response:
        self.require_found(repositories.customers.exists(customer_id), "customer")
        self.require(access.may_act_for(request.user, customer_id))
        data = self.validated(s.ChangeEmailInput, request)
        return self.run(
            request,
            lambda: c.ChangeCustomerEmail(**self.context(request), customer_id=customer_id, **data),
        )


class CustomerForgetApi(CommandApi):
    """Staff only: forget a customer (crypto-shredding; README, "Compliance")."""

    @_schema(None, tag="customers")
    def post(self, request: Request, customer_id: UUID) -> Response:
        self.require_found(repositories.customers.exists(customer_id), "customer")
        self.require(request.user.is_staff)
        return self.run(
            request, lambda: c.ForgetCustomer(**self.context(request), customer_id=customer_id)
        )


class ProductAddApi(CommandApi):
    success_status = 201
    uses_if_match = False

    @_schema(s.AddProductInput, 201, if_match=False, tag="products")
    def post(self, request: Request) -> Response:
        self.require(request.user.is_staff)
        data = self.validated(s.AddProductInput, request)
        return self.run(request, lambda: c.AddProduct(**self.context(request), **data))


class _ProductCommandApi(CommandApi):
    def check(self, request: Request, product_id: UUID) -> None:
        self.require_found(repositories.products.exists(product_id), "product")
        self.require(request.user.is_staff)


class ProductChangePriceApi(_ProductCommandApi):
    @_schema(s.ChangePriceInput, tag="products")
    def post(self, request: Request, product_id: UUID) -> Response:
        self.check(request, product_id)
        data = self.validated(s.ChangePriceInput, request)
        return self.run(
            request,
            lambda: c.ChangeProductPrice(**self.context(request), product_id=product_id, **data),
        )


class ProductReceiveStockApi(_ProductCommandApi):
    @_schema(s.ReceiveStockInput, tag="products")
    def post(self, request: Request, product_id: UUID) -> Response:
        self.check(request, product_id)
        data = self.validated(s.ReceiveStockInput, request)
        return self.run(
            request, lambda: c.ReceiveStock(**self.context(request), product_id=product_id, **data)
        )


class OrderCreateApi(CommandApi):
    success_status = 201
    uses_if_match = False

    @_schema(s.CreateOrderInput, 201, if_match=False, tag="orders")
    def post(self, request: Request) -> Response:
        customer_id = self._customer_for(request)
        data = self.validated(s.CreateOrderInput, request)
        if customer_id is None:
            customer_id = data.get("customer_id")
        if customer_id is None:
            raise ValidationError({"customer_id": ["This field is required."]})

        def build() -> c.CreateOrder:
            return c.CreateOrder(
                **self.context(request),
                customer_id=customer_id,
                items=tuple(c.ItemRequest(i["product_id"], i["quantity"]) for i in data["items"]),
                shipping_address=ShippingAddress(**data["shipping_address"]),
            )

        return self.run(request, build)

    def _customer_for(self, request: Request) -> UUID | None:
        """A customer login orders for itself; naming another customer is a 403."""
        if request.user.is_staff:
            return None
        own = access.customer_id_for(request.user)
        self.require(own is not None)
        named = request.data.get("customer_id") if isinstance(request.data, dict) else None
        self.require(named is None or str(named).lower() == str(own))
        return own


class _OrderCommandApi(CommandApi):
    staff_only = False

    def check(self, request: Request, order_id: UUID) -> None:
        owner = access.order_owner(order_id)
        self.require_found(owner is not None and access.may_act_for(request.user, owner), "order")
        self.require(request.user.is_staff or not self.staff_only)


class OrderAddItemApi(_OrderCommandApi):
    @_schema(s.AddItemInput, tag="orders")
    def post(self, request: Request, order_id: UUID) -> Response:
        self.check(request, order_id)
        data = self.validated(s.AddItemInput, request)
        return self.run(
            request, lambda: c.AddItem(**self.context(request), order_id=order_id, **data)
        )


class OrderRemoveItemApi(_OrderCommandApi):
    @_schema(None, tag="orders")
    def post(self, request: Request, order_id: UUID, product_id: UUID) -> Response:
        self.check(request, order_id)
        return self.run(
            request,
            lambda: c.RemoveItem(**self.context(request), order_id=order_id, product_id=product_id),
        )


class OrderPayApi(_OrderCommandApi):
    @_schema(s.PayOrderInput, tag="orders")
    def post(self, request: Request, order_id: UUID) -> Response:
        self.check(request, order_id)
        data = self.validated(s.PayOrderInput, request)
        return self.run(
            request, lambda: c.PayOrder(**self.context(request), order_id=order_id, **data)
        )


class OrderShipApi(_OrderCommandApi):
    staff_only = True

    @_schema(s.ShipOrderInput, tag="orders")
    def post(self, request: Request, order_id: UUID) -> Response:
        self.check(request, order_id)
        data = self.validated(s.ShipOrderInput, request)
        return self.run(
            request, lambda: c.ShipOrder(**self.context(request), order_id=order_id, **data)
        )


class OrderCancelApi(_OrderCommandApi):
    @_schema(s.CancelOrderInput, tag="orders")
    def post(self, request: Request, order_id: UUID) -> Response:
        self.check(request, order_id)
        data = self.validated(s.CancelOrderInput, request)
        return self.run(
            request, lambda: c.CancelOrder(**self.context(request), order_id=order_id, **data)
        )
