"""Seed a demo history through the real command handlers, so every event is one a
user could have caused: customers, products, stock, and orders in every state.

A paid order is shipped only once the fulfillment process has reserved its stock,
so after each payment the process runs here, in the foreground, as a worker would."""

from __future__ import annotations

import random
from decimal import Decimal
from io import StringIO
from uuid import uuid4

from django.core.management import call_command
from django.core.management.base import BaseCommand

from eventstore.models import Event
from orders import commands as c
from orders.errors import DomainError
from orders.events import ShippingAddress
from orders.handlers import execute
from orders.processes.fulfillment import NAME as FULFILLMENT

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Radia",
    "Tim",
    "Frances",
    "John",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Berners-Lee",
]
PRODUCTS = [
    ("MUG-001", "Chronicle mug", "12.50"),
    ("TEE-001", "Event-sourced T-shirt", "24.00"),
    ("NOTE-01", "Append-only notebook", "8.90"),
    ("PEN-001", "Immutable pen", "3.20"),
    ("CAP-001", "CQRS cap", "18.00"),
    ("STK-001", "Sticker pack", "4.50"),
    ("BAG-001", "Projection tote bag", "15.00"),
    ("BOT-001", "Snapshot bottle", "21.00"),
]
CITIES = [
    ("Ghent", "9000", "BE"),
    ("Lyon", "69001", "FR"),
    ("Utrecht", "3511", "NL"),
    ("Porto", "4000", "PT"),
]


class Command(BaseCommand):
    help = "Seed a demo history (customers, products, stock, orders in every state)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=200)
        parser.add_argument("--customers", type=int, default=25)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when events exist")

    def handle(self, *args, orders: int, customers: int, seed: int, if_empty: bool, **options):
        if if_empty and Event.objects.exists():
            self.stdout.write("Events exist already; no demo data seeded.")
            return
        rng = random.Random(seed)
        customer_ids = [self._customer(rng, n) for n in range(customers)]
        product_ids = [self._product(sku, name, price) for sku, name, price in PRODUCTS]
        for product_id in product_ids:
            execute(c.ReceiveStock(product_id=product_id, quantity=orders * 3))
        states: dict[str, int] = {}
        for n in range(orders):
            state = self._order(rng, rng.choice(customer_ids), product_ids)
            states[state] = states.get(state, 0) + 1
            if n == orders // 2:
                self._some_changes(rng, customer_ids, product_ids)
        summary = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {customers} customers, {len(product_ids)} products, "
                f"{orders} orders: {summary}"
            )
        )

    def _customer(self, rng: random.Random, n: int):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        command = c.RegisterCustomer(
            name=f"{first} {last}",
            email=f"{first}.{last}.{n}@example.com".lower(),
            phone=f"+32 470 {n:06d}",
        )
        return execute(command).id

    def _product(self, sku: str, name: str, price: str):
        command = c.AddProduct(
            sku=sku,
            name=name,
            price=Decimal(price),
            image_url=f"https://img.example/{sku.lower()}.png",
        )
        return execute(command).id

    def _order(self, rng: random.Random, customer_id, product_ids) -> str:
        city, postal, country = rng.choice(CITIES)
        picked = rng.sample(product_ids, rng.randint(1, 4))
        correlation = uuid4()
        order = execute(
            c.CreateOrder(
                customer_id=customer_id,
                correlation_id=correlation,
                items=tuple(c.ItemRequest(p, rng.randint(1, 3)) for p in picked),
                shipping_address=ShippingAddress(
                    f"{rng.randint(1, 200)} Market Street", city, postal, country
                ),
            )
        ).id
        fate = rng.random()
        steps: list[c.Command] = []
        if rng.random() < 0.3:
            steps.append(
                c.AddItem(
                    order_id=order,
                    product_id=rng.choice(product_ids),
                    quantity=1,
                    correlation_id=correlation,
                )
            )
        if fate < 0.15:
            steps.append(
                c.CancelOrder(order_id=order, reason="changed my mind", correlation_id=correlation)
            )
        elif fate < 0.35:
            pass  # stays pending
        else:
            steps.append(
                c.PayOrder(
                    order_id=order, payment_id=f"pay-{uuid4().hex[:10]}", correlation_id=correlation
                )
            )
            if fate < 0.45:
                steps.append(
                    c.CancelOrder(
                        order_id=order, reason="out of delivery area", correlation_id=correlation
                    )
                )
            elif fate < 0.85:
                steps.append(
                    c.ShipOrder(
                        order_id=order,
                        carrier=rng.choice(["DHL", "bpost", "UPS"]),
                        tracking_number=f"TR{rng.randint(10**8, 10**9)}",
                        correlation_id=correlation,
                    )
                )
        status = "PENDING"
        for step in steps:
            try:
                execute(step)
                if isinstance(step, c.PayOrder):
                    call_command("catch_up", FULFILLMENT, stdout=StringIO())
                status = {
                    c.PayOrder: "PAID",
                    c.ShipOrder: "SHIPPED",
                    c.CancelOrder: "CANCELLED",
                }.get(type(step), status)
            except DomainError:
                pass
        return status

    def _some_changes(self, rng: random.Random, customer_ids, product_ids) -> None:
        for customer_id in rng.sample(customer_ids, min(3, len(customer_ids))):
            execute(
                c.ChangeCustomerEmail(
                    customer_id=customer_id, email=f"new.{uuid4().hex[:6]}@example.com"
                )
            )
        for product_id in rng.sample(product_ids, 2):
            execute(
                c.ChangeProductPrice(
                    product_id=product_id, price=Decimal(rng.randint(300, 3000)) / 100
                )
            )
