"""Chronicle's side: workloads (a)-(f) in this process, on the configured database.

(a), (c), (d), (e) and (f) use the event store's benchmark domain
(``bench.eventstore_bench``: a small order of 4 events) through ``store.append``,
``Repository`` and ``store.read_all``, with the after-commit hooks silent: they are
the store's figures. (b) is a real command: ``orders.handlers.execute`` of a
``PayOrder`` on an order created beforehand (untimed), its after-commit work (the
wake of the projection runners and process managers) included, as a request pays it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from bench import eventstore_bench as es
from bench.peers.rounds import SAY
from eventstore.repository import Repository
from orders import commands as c
from orders.events import ShippingAddress
from orders.handlers import execute

ADDRESS = ShippingAddress(line1="1 Bench St", city="Ghent", postal_code="9000", country="BE")
_configured: tuple[Callable[[], None], ...] = ()
_quiet = False


def after_commit() -> None:
    """Stands in for the configured hooks; silent while ``hooks_silenced``."""
    if not _quiet:
        for hook in _configured:
            hook()


@contextmanager
def hooks_silenced() -> Iterator[None]:
    global _quiet
    _quiet = True
    try:
        yield
    finally:
        _quiet = False


class ChronicleSide:
    """Set up once (hooks, a customer, a product in stock), then one call per round."""

    def __init__(self, say: Callable[[str], object] = SAY) -> None:
        global _configured
        # The store resolves its hooks once per process: put the stand-in first.
        _configured = tuple(import_string(p) for p in settings.EVENTSTORE_AFTER_COMMIT)
        settings.EVENTSTORE_AFTER_COMMIT = [f"{__name__}.after_commit"]
        self.say = say
        self.raw = es.RawDriver.connect()
        self.customer_id = execute(
            c.RegisterCustomer(name="Bench", email="bench@example.com", phone="1")
        ).id
        self.product_id = execute(
            c.AddProduct(sku="BENCH-1", name="Bench item", price=Decimal("9.95"))
        ).id
        execute(c.ReceiveStock(product_id=self.product_id, quantity=1_000_000))

    def __call__(self, number: int, orders: int) -> dict[str, float]:
        tag, events = f"r{number}", orders * es.STEPS
        with hooks_silenced():
            figures = {"a": events / es.seconds(partial(es.append_each, f"a{tag}", range(orders)))}
        ids = [self.create_order() for _ in range(orders)]
        figures["b"] = orders / es.seconds(partial(self.pay_all, ids))
        with hooks_silenced():
            figures |= self.batch_and_loads(tag, orders)
        return figures

    def statements(self) -> dict[str, int]:
        """SQL statements Django executes on the command's connection: one command through
        ``execute``, its after-commit work included (BEGIN and COMMIT are the driver's:
        not counted; with the hooks in the background they run on a thread of their
        own), and one ``POST /api/orders/{id}/pay`` request of a customer's login with an
        Idempotency-Key (token check, access check, key claim and completion)."""
        counted: list[str] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            counted.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            order_id = self.create_order()
        created = len(counted)
        with connection.execute_wrapper(count):
            execute(c.PayOrder(order_id=order_id, payment_id="statements"))
        paid = len(counted) - created
        from django.test import Client

        client, token, order_id = Client(), self.customer_token(), self.create_order()
        counted.clear()
        with connection.execute_wrapper(count):
            response = client.post(
                f"/api/orders/{order_id}/pay",
                {"payment_id": "statements"},
                content_type="application/json",
                headers={"Authorization": f"Token {token}", "Idempotency-Key": "statements"},
                secure=True,  # DEBUG is off: plain HTTP would be redirected
            )
        if response.status_code != 200:
            raise RuntimeError(f"the counted pay request answered {response.status_code}")
        return {"create-order": created, "pay": paid, "HTTP pay request": len(counted)}

    def customer_token(self) -> str:
        """An API token of a customer login acting for the bench's customer."""
        from django.contrib.auth import get_user_model
        from knox.models import AuthToken

        from orders.models import CustomerAccount

        user = get_user_model().objects.create_user("bench-customer")
        CustomerAccount.objects.create(user=user, customer_id=self.customer_id)
        return AuthToken.objects.create(user=user)[1]

    def create_order(self) -> UUID:
        item = c.ItemRequest(product_id=self.product_id, quantity=1)
        command = c.CreateOrder(
            customer_id=self.customer_id, items=(item,), shipping_address=ADDRESS
        )
        return execute(command).id

    def pay_all(self, ids: list[UUID]) -> None:
        for n, order_id in enumerate(ids):
            execute(c.PayOrder(order_id=order_id, payment_id=f"payment-{n}"))

    def batch_and_loads(self, tag: str, orders: int) -> dict[str, float]:
        events = es.big_order(f"c{tag}").collect_pending()
        # (c) as the raw baselines are taken: the median of several appends, each to a
        # new stream (one append alone is 20-50 ms, at the mercy of a vacuum's pass).
        appends = [f"c{tag}", *(f"c{tag}-{n}" for n in range(1, es.APPENDS))]
        took = [es.seconds(lambda s=s: es.append_batch(es.new_events(events), s)) for s in appends]
        figures = {"c": es.BATCH / statistics.median(took)}
        writers = [partial(es.django_writer, f"d{tag}", part) for part in es.shares(orders)]
        figures["d"] = orders * es.STEPS / es.concurrently(writers)
        Repository(es.BenchOrder, snapshot_every=es.BATCH).save(es.big_order(f"s{tag}"))
        repository = Repository(es.BenchOrder)
        figures["e"] = es.median_ms(lambda: repository.load(f"c{tag}"))
        figures["e-snap"] = es.median_ms(lambda: repository.load(f"s{tag}"))
        self.wait_for_horizon()
        reads = []
        for _ in range(es.READS):  # the median of several reads of the whole log, as (c)
            started = time.perf_counter()
            events_read = es.read_all_events()
            reads.append(events_read / (time.perf_counter() - started))
        figures["f"] = statistics.median(reads)
        figures["log-events"] = events_read
        return figures

    def wait_for_horizon(self) -> None:
        # Another session's open transaction on the shared server hides newer events
        # from read_all (the safe read order): (f) then reads part of the log.
        try:
            es.wait_for_horizon(self.raw)
        except RuntimeError as held_back:
            self.say(f"(f) reads part of the log: {held_back}")

    def close(self) -> None:
        self.raw.close()
