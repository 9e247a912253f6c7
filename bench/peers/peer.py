"""The peer's side: workloads (a)-(f) through the ``eventsourcing`` library.

Runs in the peer's own virtualenv (``bench/peers/.venv``, made by ``make
bench-peers``) and imports nothing of Chronicle. The library reads its persistence
from the environment the caller sets (``PERSISTENCE_MODULE=eventsourcing.postgres``
with ``POSTGRES_*``, or ``eventsourcing.sqlite`` with ``SQLITE_DBNAME``). It speaks
JSON lines: it prints ``{"library": ..., "version": ...}`` once ready, then answers
each request ``{"round": n, "orders": n}`` on stdin with one line of figures, keyed
as in ``bench/peers/workloads.py``.

The aggregates mirror Chronicle's: a small order of 4 events (created, item added,
paid, shipped) for (a) and (c)-(f), and for (b) an order shaped like Chronicle's
(number, customer, lines of product, name, quantity and price, shipping address,
total, currency) that is loaded, paid and saved. Commands check, then record; the
state changes only in the ``@event`` methods, as the library intends.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from importlib.metadata import version
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

STEPS, BATCH, APPENDS, WRITERS, PAGE, LOADS, READS = 4, 1000, 5, 4, 1000, 9, 3  # as Chronicle's


class BenchOrder(Aggregate):
    @event("BenchOrderCreated")
    def __init__(self, customer_id: str) -> None:
        self.status, self.customer_id = "created", customer_id
        self.items, self.total = 0, Decimal("0.00")

    def add_item(self, sku: str, quantity: int, unit_price: Decimal) -> None:
        self._require("created")
        self._item_added(sku=sku, quantity=quantity, unit_price=unit_price)

    def pay(self, payment_id: str) -> None:
        self._require("created")
        self._paid(payment_id=payment_id, amount=self.total)

    def ship(self, tracking_code: str) -> None:
        self._require("paid")
        self._shipped(tracking_code=tracking_code)

    def _require(self, status: str) -> None:
        if self.status != status:
            raise ValueError(f"order {self.id} is {self.status}, not {status}")

    @event("BenchItemAdded")
    def _item_added(self, sku: str, quantity: int, unit_price: Decimal) -> None:
        self.items += quantity
        self.total += unit_price * quantity

    @event("BenchOrderPaid")
    def _paid(self, payment_id: str, amount: Decimal) -> None:
        self.status = "paid"

    @event("BenchOrderShipped")
    def _shipped(self, tracking_code: str) -> None:
        self.status = "shipped"


class Order(Aggregate):
    """Chronicle's order at the size (b) pays it: created with one line."""

    @event("OrderCreated")
    def __init__(
        self,
        order_number: str,
        customer_id: UUID,
        lines: list[dict[str, Any]],
        shipping_address: dict[str, str],
        total: Decimal,
        currency: str,
    ) -> None:
        self.order_number, self.customer_id, self.lines = order_number, customer_id, lines
        self.shipping_address, self.total, self.currency = shipping_address, total, currency
        self.status, self.payment_id = "placed", ""

    def pay(self, payment_id: str) -> None:
        if self.status != "placed":
            raise ValueError(f"order {self.id} is {self.status}")
        self._paid(payment_id=payment_id, amount=self.total)

    @event("OrderPaid")
    def _paid(self, payment_id: str, amount: Decimal) -> None:
        self.status, self.payment_id = "paid", payment_id


class Bench(Application):
    is_snapshotting_enabled = True


def command(order: BenchOrder, step: int, n: int) -> None:
    if step == 1:
        order.add_item(f"sku-{n % 13}", 1 + n % 3, Decimal("9.95"))
    elif step == 2:
        order.pay(f"payment-{n}")
    elif step == 3:
        order.ship(f"track-{n}")


def append_each(app: Bench, orders: range) -> None:
    """(a): each command's event saved in its own transaction."""
    for n in orders:
        order = BenchOrder(f"customer-{n % 97}")
        app.save(order)
        for step in range(1, STEPS):
            command(order, step, n)
            app.save(order)


def new_order(n: int) -> Order:
    line = {"product_id": uuid4(), "product_name": "Bench item", "quantity": 1}
    line["unit_price"] = Decimal("9.95")
    address = {"line1": "1 Bench St", "city": "Ghent", "postal_code": "9000", "country": "BE"}
    return Order(f"B-{n:08d}", uuid4(), [line], address, Decimal("9.95"), "EUR")


def command_cycles(app: Bench, ids: list[UUID]) -> None:
    """(b): load -> pay -> save, one transaction per command."""
    for n, order_id in enumerate(ids):
        order = app.repository.get(order_id)
        order.pay(f"payment-{n}")
        app.save(order)


def big_order() -> BenchOrder:
    order = BenchOrder("customer-1")
    for n in range(BATCH - 1):
        order.add_item(f"sku-{n % 13}", 1, Decimal("1.25"))
    return order


def read_all(app: Bench) -> int:
    """(f): the whole log in pages; each event's state decoded into Python values."""
    count, start, inclusive = 0, None, True
    decode = app.mapper.transcoder.decode
    while page := app.recorder.select_notifications(start, PAGE, inclusive_of_start=inclusive):
        for notification in page:
            decode(notification.state)
        count += len(page)
        start, inclusive = page[-1].id, False
    return count


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def median_ms(work: Callable[[], object]) -> float:
    work()  # warm-up, as on Chronicle's side
    return 1000 * statistics.median(seconds(work) for _ in range(LOADS))


def concurrently(app: Bench, orders: int) -> float:
    ready = threading.Barrier(WRITERS + 1)
    errors: list[BaseException] = []

    def writer(part: range) -> None:
        try:
            ready.wait()
            append_each(app, part)
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=writer, args=(range(i, orders, WRITERS),)) for i in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def measure(app: Bench, orders: int) -> dict[str, float]:
    figures = {"a": orders * STEPS / seconds(lambda: append_each(app, range(orders)))}
    ids = []
    for n in range(orders):
        order = new_order(n)
        app.save(order)
        ids.append(order.id)
    figures["b"] = orders / seconds(lambda: command_cycles(app, ids))
    batches = [big_order() for _ in range(APPENDS)]  # as Chronicle's: the median of several
    batch = batches[0]
    figures["c"] = BATCH / statistics.median(seconds(lambda b=b: app.save(b)) for b in batches)
    figures["d"] = orders * STEPS / concurrently(app, orders)
    snapshotted = big_order()
    app.save(snapshotted)
    app.take_snapshot(snapshotted.id)
    figures["e"] = median_ms(lambda: app.repository.get(batch.id))
    figures["e-snap"] = median_ms(lambda: app.repository.get(snapshotted.id))
    reads = []
    for _ in range(READS):  # the median of several reads of the whole log, as Chronicle's
        started = time.perf_counter()
        events = read_all(app)
        reads.append(events / (time.perf_counter() - started))
    figures["f"] = statistics.median(reads)
    figures["log-events"] = events
    return figures


def main() -> None:
    app = Bench()
    hello = {"library": "eventsourcing", "version": version("eventsourcing")}
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(measure(app, request["orders"])), flush=True)
    app.close()


if __name__ == "__main__":
    main()
