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
from eventstore.errors import StreamNotFound
from orders import access, repositories
from orders import commands as c
from orders.api import serializers as s
from orders.api.commanding import HEADERS, IF_MATCH, CommandApi, responses
from orders.errors import DuplicateUsername
from orders.events import ShippingAddress
from orders.models import CustomerAccount


def _schema(
    request: type | None,
    success: int = 200,
    *,
    summary: str,
    description: str,
    if_match: bool = True,
    tag: str = "commands",
) -> Any:
    params = [*HEADERS, IF_MATCH] if if_match else HEADERS
    return extend_schema(
        summary=summary,
        description=f"{description}\n\n{_EVERY_COMMAND}",
        request=request,
        responses=responses(success),
        parameters=params,
        tags=[tag],
    )


_EVERY_COMMAND = (
    "Answers `{id, version, position}` with the stream version as `ETag`; pass `position` "
    "as `min_position` to a query to read your write. Errors are problem documents whose "
    "`type` links the problem's page under /problems/."
)


class CustomerRegisterApi(CommandApi):
    success_status = 201
    created_path = "/api/customers/{id}"
    uses_if_match = False

    @_schema(
        s.RegisterCustomerInput,
        201,
        if_match=False,
        tag="customers",
        summary="Register a customer (staff)",
        description="Records CustomerRegistered. With `username` and `password`, also creates the "
        "customer's login in the same transaction (409 `duplicate_username` when the "
        "username is taken in any case).",
    )
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
    @_schema(
        s.ChangeEmailInput,
        tag="customers",
        summary="Change a customer's email (staff, or that customer)",
        description="Records CustomerEmailChanged on the customer's stream.",
    )
    def post(self, request: Request, customer_id: UUID) -> Response:
        self.require_found(repositories.customers.exists(customer_id), "customer", customer_id)
        self.require(access.may_act_for(request.user, customer_id))
        data = self.validated(s.ChangeEmailInput, request)
        return self.run(
            request,
            lambda: c.ChangeCustomerEmail(**self.context(request), customer_id=customer_id, **data),
        )


class CustomerForgetApi(CommandApi):
    """Staff only: forget a customer (crypto-shredding; README, "Compliance")."""

    @_schema(
        None,
        tag="customers",
        summary="Forget a customer (staff)",
        description="Records CustomerForgotten and destroys the customer's data key in the "
        "same transaction: their personal fields read as [erased] everywhere from then on. "
        "409 already_forgotten, open_orders (a PENDING or PAID order) or plaintext_history "
        "(events from before encryption); later commands for the customer are 409 "
        "customer_forgotten.",
    )
    def post(self, request: Request, customer_id: UUID) -> Response:
        self.require(request.user.is_staff)  # first: whether a customer exists is staff's to know
        self.require_found(repositories.customers.exists(customer_id), "customer", customer_id)
        return self.run(
            request, lambda: c.ForgetCustomer(**self.context(request), customer_id=customer_id)
        )


class ProductAddApi(CommandApi):
    success_status = 201
    created_path = "/api/products/{id}"
    uses_if_match = False

    @_schema(
        s.AddProductInput,
        201,
        if_match=False,
        tag="products",
        summary="Add a product to the catalog (staff)",
        description="Records ProductAdded; a SKU already taken is 409 `duplicate_sku`. Stock "
        "starts at 0: receive stock to sell it.",
    )
    def post(self, request: Request) -> Response:
        self.require(request.user.is_staff)
        data = self.validated(s.AddProductInput, request)
        return self.run(request, lambda: c.AddProduct(**self.context(request), **data))


class _ProductCommandApi(CommandApi):
    def check(self, request: Request, product_id: UUID) -> None:
        self.require_found(repositories.products.exists(product_id), "product", product_id)
        self.require(request.user.is_staff)


class ProductChangePriceApi(_ProductCommandApi):
    @_schema(
        s.ChangePriceInput,
        tag="products",
        summary="Change a product's price (staff)",
        description="Records ProductPriceChanged. Orders already placed keep the price they "
        "recorded.",
    )
    def post(self, request: Request, product_id: UUID) -> Response:
        self.check(request, product_id)
        data = self.validated(s.ChangePriceInput, request)
        return self.run(
            request,
            lambda: c.ChangeProductPrice(**self.context(request), product_id=product_id, **data),
        )


class ProductReceiveStockApi(_ProductCommandApi):
    @_schema(
        s.ReceiveStockInput,
        tag="products",
        summary="Receive stock of a product (staff)",
        description="Records StockReceived on the product's inventory: more on hand, and more "
        "available to new orders.",
    )
    def post(self, request: Request, product_id: UUID) -> Response:
        self.check(request, product_id)
        data = self.validated(s.ReceiveStockInput, request)
        return self.run(
            request, lambda: c.ReceiveStock(**self.context(request), product_id=product_id, **data)
        )


class OrderCreateApi(CommandApi):
    success_status = 201
    created_path = "/api/orders/{id}"
    uses_if_match = False

    @_schema(
        s.CreateOrderInput,
        201,
        if_match=False,
        tag="orders",
        summary="Place an order",
        description="Records OrderCreated with the lines at the catalog's current prices and "
        "names. A customer login orders for itself (naming another customer is 403); "
        "staff name `customer_id`. Not enough stock available: 409 "
        "`insufficient_stock`.",
    )
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
        # The order's stream read once, for this check and for the command's load.
        uow = self.unit_of_work()
        uow.read_ahead((uow.orders, order_id))
        try:
            owner = uow.orders.load(order_id).customer_id
        except StreamNotFound:
            owner = None
        may_act = owner is not None and access.may_act_for(request.user, owner)
        self.require_found(may_act, "order", order_id)
        self.require(request.user.is_staff or not self.staff_only)


class OrderAddItemApi(_OrderCommandApi):
    @_schema(
        s.AddItemInput,
        tag="orders",
        summary="Add an item to a pending order",
        description="Records ItemAddedToOrder (a product already on the order adds to its "
        "quantity). Only while the order is PENDING: else 409 `order_not_pending`.",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        self.check(request, order_id)
        data = self.validated(s.AddItemInput, request)
        return self.run(
            request, lambda: c.AddItem(**self.context(request), order_id=order_id, **data)
        )


class OrderRemoveItemApi(_OrderCommandApi):
    @_schema(
        None,
        tag="orders",
        summary="Remove a product from a pending order",
        description="Records ItemRemovedFromOrder. A product not on the order is 404; the last "
        "line is 409 `last_item` (cancel instead); only while PENDING.",
    )
    def post(self, request: Request, order_id: UUID, product_id: UUID) -> Response:
        self.check(request, order_id)
        return self.run(
            request,
            lambda: c.RemoveItem(**self.context(request), order_id=order_id, product_id=product_id),
        )


class OrderPayApi(_OrderCommandApi):
    @_schema(
        s.PayOrderInput,
        tag="orders",
        summary="Pay an order",
        description="Records OrderPaid with the order's total. Fulfillment then reserves the stock"
        " and creates the shipment; the order is ready to ship once `fulfillment` says"
        " so.",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        self.check(request, order_id)
        data = self.validated(s.PayOrderInput, request)
        return self.run(
            request, lambda: c.PayOrder(**self.context(request), order_id=order_id, **data)
        )


class OrderShipApi(_OrderCommandApi):
    staff_only = True

    @_schema(
        s.ShipOrderInput,
        tag="orders",
        summary="Ship an order (staff)",
        description="Records OrderShipped with the carrier and tracking number. Only once the "
        "stock is reserved: else 409 `not_ready_to_ship`.",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        self.check(request, order_id)
        data = self.validated(s.ShipOrderInput, request)
        return self.run(
            request, lambda: c.ShipOrder(**self.context(request), order_id=order_id, **data)
        )


class OrderCancelApi(_OrderCommandApi):
    @_schema(
        s.CancelOrderInput,
        tag="orders",
        summary="Cancel an order",
        description="Records OrderCancelled with the reason; a paid order is refunded first "
        "(OrderRefunded) and its reserved stock released. A shipped order cannot be "
        "cancelled (409 `invalid_transition`).",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        self.check(request, order_id)
        data = self.validated(s.CancelOrderInput, request)
        return self.run(
            request, lambda: c.CancelOrder(**self.context(request), order_id=order_id, **data)
        )
