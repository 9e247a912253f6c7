"""A small shop's history, made through the real command handlers, with projections
caught up by the runner: what the read-model admin tests browse.

- Ada orders 2 mugs and a T-shirt, adds 3 pens, and pays (versions 1 to 3).
- Grace orders a T-shirt and leaves it pending, orders a mug and cancels it, and
  then changes her email address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventstore import store
from orders import commands as c
from orders.events import ShippingAddress
from orders.handlers import CommandResult, execute
from projections.engine import runner
from projections.readmodels.order_list import OrderListProjection

ADDRESS = ShippingAddress("1 Market Street", "Ghent", "9000", "BE")
HORIZON_PATIENCE_SECONDS = 10


@dataclass(frozen=True)
class Shop:
    ada: UUID
    grace: UUID
    mug: UUID
    tee: UUID
    pen: UUID
    paid: UUID  # Ada's order
    pending: UUID  # Grace's first order
    cancelled: UUID  # Grace's second order
    checkout: UUID  # the correlation id of Ada's requests


def open_shop() -> Shop:
    ada = register("Ada Lovelace", "ada@example.com")
    grace = register("Grace Hopper", "grace@example.com")
    mug = product("MUG-001", "Chronicle mug", "12.50")
    tee = product("TEE-001", "Event-sourced T-shirt", "24.00")
    pen = product("PEN-001", "Immutable pen", "3.20")
    checkout = uuid4()
    paid = order(ada, checkout, (mug, 2), (tee, 1))
    execute(c.AddItem(order_id=paid, product_id=pen, quantity=3, correlation_id=checkout))
    execute(c.PayOrder(order_id=paid, payment_id="pay-ada-1", correlation_id=checkout))
    pending = order(grace, uuid4(), (tee, 1))
    cancelled = order(grace, uuid4(), (mug, 1))
    execute(c.CancelOrder(order_id=cancelled, reason="changed my mind"))
    last = execute(c.ChangeCustomerEmail(customer_id=grace, email="grace.hopper@example.com"))
    catch_up(last)
    return Shop(ada, grace, mug, tee, pen, paid, pending, cancelled, checkout)


def register(name: str, email: str) -> UUID:
    return execute(c.RegisterCustomer(name=name, email=email, phone="+32 470 000000")).id


def product(sku: str, name: str, price: str) -> UUID:
    product_id = execute(c.AddProduct(sku=sku, name=name, price=Decimal(price))).id
    execute(c.ReceiveStock(product_id=product_id, quantity=100))
    return product_id


def order(customer_id: UUID, correlation_id: UUID, *items: tuple[UUID, int]) -> UUID:
    command = c.CreateOrder(
        customer_id=customer_id,
        items=tuple(c.ItemRequest(product_id, quantity) for product_id, quantity in items),
        shipping_address=ADDRESS,
        correlation_id=correlation_id,
    )
    return execute(command).id


def catch_up(last: CommandResult | None = None) -> None:
    """Run the projections until none is behind, once readers can see ``last``.

    On PostgreSQL an event becomes readable when no older transaction is still
    open on the server, which may take a moment after its commit.
    """
    target = store.checkpoint_of(last.position) if last else None
    deadline = time.monotonic() + HORIZON_PATIENCE_SECONDS
    while target is not None and store.head() < target and time.monotonic() < deadline:
        time.sleep(0.005)
    while runner.advance(max_batches=100).behind:
        pass


def decline_payments(monkeypatch: Any) -> None:
    """Make the order list's payment handler fail on payment id "declined", as a bug
    would: the projection stops at that event (the tests of failure handling)."""
    real = OrderListProjection.order_paid

    def order_paid(self: OrderListProjection, rows: Any, e: Any, r: Any) -> None:
        if e.payment_id == "declined":
            raise RuntimeError("card declined")
        return real(self, rows, e, r)

    monkeypatch.setattr(OrderListProjection, "order_paid", order_paid)
