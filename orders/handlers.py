"""Command handlers: validate references, load, call the aggregate, save.

Each command runs in one transaction. Without If-Match, a concurrency conflict
reloads and retries, so concurrent commands the rules allow all succeed. The store
may also refuse an append it cannot keep in the stream's version order
(``OrderingConflict``): that is retried in a fresh transaction, with or without
If-Match, since the stream's version was not the problem.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction

from eventstore import store
from eventstore.aggregate import Aggregate
from eventstore.errors import ConcurrencyError, OrderingConflict, StreamNotFound
from eventstore.repository import Repository
from orders import commands as c
from orders.customer import Customer
from orders.errors import DuplicateSku, InsufficientStock, UnknownReference, VersionMismatch
from orders.events import OrderLine
from orders.inventory import Inventory
from orders.models import OrderNumber, SkuClaim
from orders.order import Order
from orders.product import Product
from orders.shipment import Shipment

MAX_ATTEMPTS = 8

orders = Repository(Order)
customers = Repository(Customer)
products = Repository(Product)
inventories = Repository(Inventory)
shipments = Repository(Shipment)

A = TypeVar("A", bound=Aggregate)
AfterSave = Callable[["CommandResult"], None]


@dataclass(frozen=True)
class CommandResult:
    """What a client needs to follow up: the aggregate, its version and the last position."""

    id: UUID
    version: int
    position: int


def execute(command: c.Command, after_save: AfterSave | None = None) -> CommandResult:
    """Run ``command``; ``after_save`` runs inside the command's transaction."""
    return HANDLERS[type(command)](command, after_save)


# Registration, catalog and stock


def handle_register_customer(
    cmd: c.RegisterCustomer, after_save: AfterSave | None = None
) -> CommandResult:
    def work() -> CommandResult:
        customer = Customer.register(
            cmd.customer_id, name=cmd.name, email=cmd.email, phone=cmd.phone
        )
        return _save(customers, customer, cmd)

    return _run(cmd, work, after_save)


def handle_change_customer_email(
    cmd: c.ChangeCustomerEmail, after_save: AfterSave | None = None
) -> CommandResult:
    def work() -> CommandResult:
        customer = _load(customers, cmd.customer_id, cmd)
        customer.change_email(cmd.email)
        return _save(customers, customer, cmd)

    return _run(cmd, work, after_save)


def handle_add_product(cmd: c.AddProduct, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        product = Product.add(
            cmd.product_id, sku=cmd.sku, name=cmd.name, price=cmd.price, image_url=cmd.image_url
        )
        result = _save(products, product, cmd)
        try:
            with transaction.atomic():
                SkuClaim.objects.create(sku=cmd.sku, product_id=cmd.product_id)
        except IntegrityError:
            raise DuplicateSku(f"a product with sku {cmd.sku!r} exists already") from None
        return result

    return _run(cmd, work, after_save)


def handle_change_product_price(
    cmd: c.ChangeProductPrice, after_save: AfterSave | None = None
) -> CommandResult:
    def work() -> CommandResult:
        product = _load(products, cmd.product_id, cmd)
        product.change_price(cmd.price)
        return _save(products, product, cmd)

    return _run(cmd, work, after_save)


def handle_receive_stock(cmd: c.ReceiveStock, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        if not products.exists(cmd.product_id):
            raise StreamNotFound(Product.stream_id_for(cmd.product_id))
        inventory = _load_or_new(inventories, cmd.product_id)
        _check_expected_version(inventory, cmd)
        inventory.receive(cmd.quantity)
        return _save(inventories, inventory, cmd)

    return _run(cmd, work, after_save)


# Orders


def handle_create_order(cmd: c.CreateOrder, after_save: AfterSave | None = None) -> CommandResult:
    # Allocated in its own short transaction, so the row lock on the counter is not
    # held while the command runs; a refused command leaves a gap, never a duplicate.
    order_number = OrderNumber.allocate()

    def work() -> CommandResult:
        _require_customer(cmd.customer_id)
        lines = [
            _line_for(item.product_id, item.quantity, f"items.{index}.product_id")
            for index, item in enumerate(cmd.items)
        ]
        order = Order.create(
            cmd.order_id,
            order_number=order_number,
            customer_id=cmd.customer_id,
            lines=lines,
            shipping_address=cmd.shipping_address,
            currency=settings.SHOP_CURRENCY,
        )
        _require_stock(order.lines)
        return _save(orders, order, cmd)

    return _run(cmd, work, after_save)


def handle_add_item(cmd: c.AddItem, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        line = _line_for(cmd.product_id, cmd.quantity, "product_id")
        order = _load(orders, cmd.order_id, cmd)
        order.add_item(line.product_id, line.product_name, line.quantity, line.unit_price)
        added = order.line_for(cmd.product_id)
        assert added is not None
        _require_stock((added,))
        return _save(orders, order, cmd)

    return _run(cmd, work, after_save)


def handle_remove_item(cmd: c.RemoveItem, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        order = _load(orders, cmd.order_id, cmd)
        order.remove_item(cmd.product_id)
        return _save(orders, order, cmd)

    return _run(cmd, work, after_save)


def handle_pay_order(cmd: c.PayOrder, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        order = _load(orders, cmd.order_id, cmd)
        order.pay(cmd.payment_id)
        return _save(orders, order, cmd)

    return _run(cmd, work, after_save)


def handle_ship_order(cmd: c.ShipOrder, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        order = _load(orders, cmd.order_id, cmd)
        order.ship(cmd.carrier, cmd.tracking_number)
        return _save(orders, order, cmd)

    return _run(cmd, work, after_save)


def handle_cancel_order(cmd: c.CancelOrder, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        order = _load(orders, cmd.order_id, cmd)
        order.cancel(cmd.reason)
        return _save(orders, order, cmd)

    return _run(cmd, work, after_save)


# Fulfillment steps


def handle_reserve_stock(cmd: c.ReserveStock, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        inventory = _load_or_new(inventories, cmd.product_id)
        inventory.reserve(cmd.order_id, cmd.quantity)
        return _save(inventories, inventory, cmd)

    return _run(cmd, work, after_save)


def handle_release_stock(cmd: c.ReleaseStock, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        inventory = _load_or_new(inventories, cmd.product_id)
        inventory.release(cmd.order_id)
        return _save(inventories, inventory, cmd)

    return _run(cmd, work, after_save)


def handle_issue_stock(cmd: c.IssueStock, after_save: AfterSave | None = None) -> CommandResult:
    def work() -> CommandResult:
        inventory = _load_or_new(inventories, cmd.product_id)
        inventory.issue(cmd.order_id)
        return _save(inventories, inventory, cmd)

    return _run(cmd, work, after_save)


def handle_create_shipment(
    cmd: c.CreateShipment, after_save: AfterSave | None = None
) -> CommandResult:
    def work() -> CommandResult:
        try:
            shipment = shipments.load(cmd.shipment_id)
        except StreamNotFound:
            shipment = Shipment.create(cmd.shipment_id, order_id=cmd.order_id, lines=cmd.lines)
        return _save(shipments, shipment, cmd)

    return _run(cmd, work, after_save)


def handle_cancel_shipment(
    cmd: c.CancelShipment, after_save: AfterSave | None = None
) -> CommandResult:
    def work() -> CommandResult:
        shipment = _load(shipments, cmd.shipment_id, cmd)
        shipment.cancel(cmd.reason)
        return _save(shipments, shipment, cmd)

    return _run(cmd, work, after_save)


def handle_mark_order_ready_to_ship(
    cmd: c.MarkOrderReadyToShip, after_save: AfterSave | None = None
) -> CommandResult:
    def work() -> CommandResult:
        order = _load(orders, cmd.order_id, cmd)
        order.mark_ready_to_ship(cmd.shipment_id, cmd.tracking_number)
        return _save(orders, order, cmd)

    return _run(cmd, work, after_save)


HANDLERS: dict[type[c.Command], Callable[[Any, AfterSave | None], CommandResult]] = {
    c.RegisterCustomer: handle_register_customer,
    c.ChangeCustomerEmail: handle_change_customer_email,
    c.AddProduct: handle_add_product,
    c.ChangeProductPrice: handle_change_product_price,
    c.ReceiveStock: handle_receive_stock,
    c.CreateOrder: handle_create_order,
    c.AddItem: handle_add_item,
    c.RemoveItem: handle_remove_item,
    c.PayOrder: handle_pay_order,
    c.ShipOrder: handle_ship_order,
    c.CancelOrder: handle_cancel_order,
    c.ReserveStock: handle_reserve_stock,
    c.ReleaseStock: handle_release_stock,
    c.IssueStock: handle_issue_stock,
    c.CreateShipment: handle_create_shipment,
    c.CancelShipment: handle_cancel_shipment,
    c.MarkOrderReadyToShip: handle_mark_order_ready_to_ship,
}


# The machinery every handler shares.


def _run(
    cmd: c.Command, work: Callable[[], CommandResult], after_save: AfterSave | None
) -> CommandResult:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                result = work()
                if after_save is not None:
                    after_save(result)
                return result
        except OrderingConflict:
            if attempt == MAX_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.005 * attempt))
        except ConcurrencyError as conflict:
            if cmd.expected_version is not None:
                raise VersionMismatch(conflict.actual, cmd.expected_version) from conflict
            if attempt == MAX_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.005 * attempt))
    raise AssertionError("unreachable")


def _load(repository: Repository[A], aggregate_id: UUID, cmd: c.Command) -> A:
    aggregate = repository.load(aggregate_id)
    _check_expected_version(aggregate, cmd)
    return aggregate


def _load_or_new(repository: Repository[A], aggregate_id: UUID) -> A:
    try:
        return repository.load(aggregate_id)
    except StreamNotFound:
        return repository.aggregate_class(id=aggregate_id)


def _check_expected_version(aggregate: Aggregate, cmd: c.Command) -> None:
    if cmd.expected_version is not None and cmd.expected_version != aggregate.version:
        raise VersionMismatch(aggregate.version, cmd.expected_version)


def _save(repository: Repository[A], aggregate: A, cmd: c.Command) -> CommandResult:
    saved = repository.save(
        aggregate,
        command_id=cmd.command_id,
        metadata={
            "user_id": cmd.user_id,
            "command": type(cmd).__name__,
            "issued_at": cmd.issued_at.isoformat(),
        },
        correlation_id=cmd.correlation_id,
        causation_id=cmd.causation_id or cmd.command_id,
    )
    if saved is None:  # nothing changed: answer with where the stream stands
        last = store.read_stream(aggregate.stream_id, from_version=aggregate.version)[-1]
        return CommandResult(aggregate.id, aggregate.version, last.position)
    return CommandResult(aggregate.id, saved.version, saved.position)


def _require_customer(customer_id: UUID) -> None:
    if not customers.exists(customer_id):
        raise UnknownReference("customer_id", f"no customer {customer_id}")


def _line_for(product_id: UUID, quantity: int, field: str) -> OrderLine:
    try:
        product = products.load(product_id)
    except StreamNotFound:
        raise UnknownReference(field, f"no product {product_id}") from None
    return OrderLine(product_id, product.name, quantity, product.price)


def _require_stock(lines: tuple[OrderLine, ...]) -> None:
    short = [
        line.product_name
        for line in lines
        if not _load_or_new(inventories, line.product_id).can_supply(line.quantity)
    ]
    if short:
        raise InsufficientStock(f"not enough stock for: {', '.join(short)}", products=short)
