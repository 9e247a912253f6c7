"""Command handlers, one shape: load, call one aggregate method, save.

A handler is a plain function of its command and a unit of work
(``orders.unit_of_work``), which holds the repositories and claims it may use and
runs it in one transaction. ``execute`` is the way in: it picks the handler and runs
it in the default wiring (the event store) unless given another unit of work (the
in-memory one of ``orders.in_memory``, in tests). Checks that reach past the one
aggregate (the customer and products an order names, the stock it needs) read
through the same unit of work before the save; a handler that reads several names
them first (``uow.read_ahead``), so the event store reads them in one query.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from opentelemetry import trace

from eventstore.errors import StreamNotFound
from orders import commands as c
from orders import metrics
from orders.customer import Customer
from orders.errors import InsufficientStock, OpenOrders, PlaintextHistory, UnknownReference
from orders.events import OrderLine
from orders.order import Order
from orders.product import Product
from orders.shipment import Shipment
from orders.status import PAID, PENDING
from orders.unit_of_work import CommandResult, EventStoreUnitOfWork, Handler, UnitOfWork

tracer = trace.get_tracer("chronicle.orders")


def single_write(handle: Handler) -> Handler:
    """Mark a handler whose only write is its one save: where the store's append is
    atomic alone, the unit of work may run it outside a transaction
    (``EventStoreUnitOfWork``)."""
    handle.single_write = True  # type: ignore[attr-defined]
    return handle


def execute(command: c.Command, uow: UnitOfWork | None = None) -> CommandResult:
    """Run ``command`` through its handler in ``uow`` (by default, the event store's)."""
    name = type(command).__name__
    attributes = {
        "chronicle.command": name,
        "chronicle.correlation_id": str(command.correlation_id),
    }
    with (
        metrics.measured(name),
        tracer.start_as_current_span(f"command {name}", attributes=attributes),
    ):
        return (uow or EventStoreUnitOfWork()).run(command, HANDLERS[type(command)])


# Registration, catalog and stock


def handle_register_customer(cmd: c.RegisterCustomer, uow: UnitOfWork) -> CommandResult:
    customer = Customer.register(cmd.customer_id, name=cmd.name, email=cmd.email, phone=cmd.phone)
    result = uow.customers.save(customer, cmd)
    uow.claim_email(cmd.email, cmd.customer_id)
    return result


def handle_forget_customer(cmd: c.ForgetCustomer, uow: UnitOfWork) -> CommandResult:
    """Record ``CustomerForgotten`` and destroy the customer's data key with it
    (README, "Compliance"): refused while an order is open or history is plaintext."""
    customer = uow.customers.load(cmd.customer_id, cmd.expected_version)
    if customer.forgotten:
        customer.forget()  # raises AlreadyForgotten
    order_ids = uow.order_ids_of(cmd.customer_id)
    open_orders = [
        str(order.id)
        for order in (uow.orders.load(order_id) for order_id in order_ids)
        if order.status in (PENDING, PAID)
    ]
    if open_orders:
        raise OpenOrders(
            "the customer has open orders: cancel or ship them first", order_ids=open_orders
        )
    if uow.holds_plaintext(cmd.customer_id, order_ids):
        raise PlaintextHistory(
            "some of the customer's events were recorded before encryption; "
            "destroying their key would not erase them (README, Compliance)"
        )
    customer.forget()
    result = uow.customers.save(customer, cmd)
    uow.scrub_customer(cmd.customer_id, order_ids)
    return result


def handle_change_customer_email(cmd: c.ChangeCustomerEmail, uow: UnitOfWork) -> CommandResult:
    """The customer's email claim moves with the email (released and claimed at once)."""
    customer = uow.customers.load(cmd.customer_id, cmd.expected_version)
    unchanged = customer.email == cmd.email
    customer.change_email(cmd.email)
    result = uow.customers.save(customer, cmd)
    if not unchanged:
        uow.claim_email(cmd.email, cmd.customer_id)
    return result


def handle_add_product(cmd: c.AddProduct, uow: UnitOfWork) -> CommandResult:
    product = Product.add(
        cmd.product_id, sku=cmd.sku, name=cmd.name, price=cmd.price, image_url=cmd.image_url
    )
    result = uow.products.save(product, cmd)
    uow.claim_sku(cmd.sku, cmd.product_id)
    return result


@single_write
def handle_change_product_price(cmd: c.ChangeProductPrice, uow: UnitOfWork) -> CommandResult:
    product = uow.products.load(cmd.product_id, cmd.expected_version)
    product.change_price(cmd.price)
    return uow.products.save(product, cmd)


@single_write
def handle_receive_stock(cmd: c.ReceiveStock, uow: UnitOfWork) -> CommandResult:
    uow.read_ahead((uow.products, cmd.product_id), (uow.inventories, cmd.product_id))
    if not uow.products.exists(cmd.product_id):
        raise StreamNotFound(Product.stream_id_for(cmd.product_id))
    inventory = uow.inventories.load_or_new(cmd.product_id, cmd.expected_version)
    inventory.receive(cmd.quantity)
    return uow.inventories.save(inventory, cmd)


# Orders


@single_write  # its order number is a sequence's: not rolled back in any case
def handle_create_order(cmd: c.CreateOrder, uow: UnitOfWork) -> CommandResult:
    # The customer, the products and their stock in one read (the checks below, in order).
    product_ids = [item.product_id for item in cmd.items]
    uow.read_ahead(
        (uow.customers, cmd.customer_id),
        *((uow.products, product_id) for product_id in product_ids),
        *((uow.inventories, product_id) for product_id in product_ids),
    )
    if not uow.customers.exists(cmd.customer_id):
        raise UnknownReference("customer_id", f"no customer {cmd.customer_id}")
    lines = [
        _line_for(uow, item.product_id, item.quantity, f"items.{index}.product_id")
        for index, item in enumerate(cmd.items)
    ]
    order = Order.create(
        cmd.order_id,
        order_number=uow.allocate_order_number(),
        customer_id=cmd.customer_id,
        lines=lines,
        shipping_address=cmd.shipping_address,
        currency=settings.SHOP_CURRENCY,
    )
    _require_stock(uow, order.lines)
    return uow.orders.save(order, cmd)


@single_write
def handle_add_item(cmd: c.AddItem, uow: UnitOfWork) -> CommandResult:
    uow.read_ahead(
        (uow.products, cmd.product_id),
        (uow.orders, cmd.order_id),
        (uow.inventories, cmd.product_id),
    )
    line = _line_for(uow, cmd.product_id, cmd.quantity, "product_id")
    order = uow.orders.load(cmd.order_id, cmd.expected_version)
    order.add_item(line.product_id, line.product_name, line.quantity, line.unit_price)
    added = order.line_for(cmd.product_id)
    assert added is not None
    _require_stock(uow, (added,))  # the whole line, earlier additions included
    return uow.orders.save(order, cmd)


@single_write
def handle_remove_item(cmd: c.RemoveItem, uow: UnitOfWork) -> CommandResult:
    order = uow.orders.load(cmd.order_id, cmd.expected_version)
    order.remove_item(cmd.product_id)
    return uow.orders.save(order, cmd)


@single_write
def handle_pay_order(cmd: c.PayOrder, uow: UnitOfWork) -> CommandResult:
    order = uow.orders.load(cmd.order_id, cmd.expected_version)
    order.pay(cmd.payment_id)
    return uow.orders.save(order, cmd)


@single_write
def handle_ship_order(cmd: c.ShipOrder, uow: UnitOfWork) -> CommandResult:
    order = uow.orders.load(cmd.order_id, cmd.expected_version)
    order.ship(cmd.carrier, cmd.tracking_number)
    return uow.orders.save(order, cmd)


@single_write
def handle_cancel_order(cmd: c.CancelOrder, uow: UnitOfWork) -> CommandResult:
    order = uow.orders.load(cmd.order_id, cmd.expected_version)
    order.cancel(cmd.reason)
    return uow.orders.save(order, cmd)


# Fulfillment steps


@single_write
def handle_reserve_stock(cmd: c.ReserveStock, uow: UnitOfWork) -> CommandResult:
    inventory = uow.inventories.load_or_new(cmd.product_id)
    inventory.reserve(cmd.order_id, cmd.quantity)
    return uow.inventories.save(inventory, cmd)


@single_write
def handle_release_stock(cmd: c.ReleaseStock, uow: UnitOfWork) -> CommandResult:
    inventory = uow.inventories.load_or_new(cmd.product_id)
    inventory.release(cmd.order_id)
    return uow.inventories.save(inventory, cmd)


@single_write
def handle_issue_stock(cmd: c.IssueStock, uow: UnitOfWork) -> CommandResult:
    inventory = uow.inventories.load_or_new(cmd.product_id)
    inventory.issue(cmd.order_id)
    return uow.inventories.save(inventory, cmd)


@single_write
def handle_create_shipment(cmd: c.CreateShipment, uow: UnitOfWork) -> CommandResult:
    try:
        shipment = uow.shipments.load(cmd.shipment_id)  # created already: a repeated step
    except StreamNotFound:
        shipment = Shipment.create(cmd.shipment_id, order_id=cmd.order_id, lines=cmd.lines)
    return uow.shipments.save(shipment, cmd)


@single_write
def handle_ship_shipment(cmd: c.ShipShipment, uow: UnitOfWork) -> CommandResult:
    shipment = uow.shipments.load(cmd.shipment_id, cmd.expected_version)
    shipment.ship()
    return uow.shipments.save(shipment, cmd)


@single_write
def handle_cancel_shipment(cmd: c.CancelShipment, uow: UnitOfWork) -> CommandResult:
    shipment = uow.shipments.load(cmd.shipment_id, cmd.expected_version)
    shipment.cancel(cmd.reason)
    return uow.shipments.save(shipment, cmd)


@single_write
def handle_mark_order_ready_to_ship(cmd: c.MarkOrderReadyToShip, uow: UnitOfWork) -> CommandResult:
    order = uow.orders.load(cmd.order_id, cmd.expected_version)
    order.mark_ready_to_ship(cmd.shipment_id, cmd.shipment_reference)
    return uow.orders.save(order, cmd)


HANDLERS: dict[type[c.Command], Handler] = {
    c.RegisterCustomer: handle_register_customer,
    c.ChangeCustomerEmail: handle_change_customer_email,
    c.ForgetCustomer: handle_forget_customer,
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
    c.ShipShipment: handle_ship_shipment,
    c.CancelShipment: handle_cancel_shipment,
    c.MarkOrderReadyToShip: handle_mark_order_ready_to_ship,
}


# Checks that read other aggregates.


def _line_for(uow: UnitOfWork, product_id: UUID, quantity: int, field: str) -> OrderLine:
    """The order line for ``quantity`` of the product at today's price; an unknown
    product is the ``field``'s fault (400)."""
    try:
        product = uow.products.load(product_id)
    except StreamNotFound:
        raise UnknownReference(field, f"no product {product_id}") from None
    return OrderLine(product_id, product.name, quantity, product.price)


def _require_stock(uow: UnitOfWork, lines: tuple[OrderLine, ...]) -> None:
    """Refuse lines the stock cannot supply, naming each (``products``) and saying what
    was asked and what is available (``lines``), for people and for programs."""
    short = []
    for line in lines:
        inventory = uow.inventories.load_or_new(line.product_id)
        if not inventory.can_supply(line.quantity):
            short.append((line, inventory.available))
    if short:
        names = [line.product_name for line, _ in short]
        raise InsufficientStock(
            f"not enough stock for: {', '.join(names)}",
            products=names,
            lines=[
                {
                    "product_id": str(line.product_id),
                    "name": line.product_name,
                    "requested": line.quantity,
                    "available": max(available, 0),
                }
                for line, available in short
            ],
        )
