"""Projection rebuild benchmark (issue #4): every projection rebuilt from the log.

A generated shop history of at least ``--events`` events (100,000): customers and
products with stock, then orders created (some with an item added), most paid
(stock reserved, ready to ship), then shipped (stock issued) or cancelled (paid
ones refunded, stock released); emails and prices change along the way. An
order's later steps come thousands of events after its creation, as in a live
shop, so a batch both creates rows and changes rows of earlier batches. The
history is appended through ``store.append``, many appends per transaction.

Figures, in events of the log per second:

- baseline: ``store.read_all`` pages over the whole log, decoded, in pages of the
  rebuild's batch size;
- catch-up: every projection from an empty read side (its first generation), in
  the live batches of ``PROJECTIONS_BATCH_SIZE``, as runners catch up;
- rebuild: every projection rebuilt beside its live rows and switched by
  ``manage.py rebuild_projections --all``: median of ``--repeat`` rebuilds.
  The generation retired by the previous rebuild is deleted first, untimed.

Target (the issue's, for PostgreSQL): rebuild >= 20,000 events/s, catch-up >= 80%
of the rebuild.

Memory: the peak RSS of ``rebuild_projections --all`` run as a process of its own,
on the history above and again once the log holds ``--rss-factor`` times as many
events (another history appended after it; 0 skips this). It should grow with the
read-model rows the rebuild builds, not with the length of the log it reads.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from bench import RATE, Row, Target
from eventstore import shredding, store
from eventstore.events import DomainEvent
from orders import events as ev
from projections.engine import locks, rebuilding, runner
from projections.engine.projection import all_projections
from projections.engine.state import ProjectionState

PRODUCTS = 50
EVENTS_PER_CUSTOMER = 40
LAG = 1000  # orders between an order's creation, its payment and its shipment
TICKS_PER_TRANSACTION = 100
ADDRESS = ev.ShippingAddress(line1="1 Main St", city="Ghent", postal_code="9000", country="BE")

Step = tuple[str, str, DomainEvent]  # stream id, stream type, event


class History:
    """A consistent shop history, tick by tick: order ``n`` is created at tick ``n``,
    paid or cancelled at ``n + LAG`` and shipped or cancelled at ``n + 2 * LAG``."""

    def __init__(self, customers: int) -> None:
        self.customers = [uuid.uuid4() for _ in range(customers)]
        self.products = [uuid.uuid4() for _ in range(PRODUCTS)]
        self.prices = {
            p: Decimal(f"{3 + i % 17}.{i % 100:02d}") for i, p in enumerate(self.products)
        }
        self.on_hand = dict.fromkeys(self.products, 10**9)
        self.reserved = dict.fromkeys(self.products, 0)
        self.orders: list[tuple[uuid.UUID, dict[uuid.UUID, int], Decimal]] = []

    def opening(self) -> Iterator[Step]:
        for n, customer in enumerate(self.customers):
            name = f"Customer {n}"
            yield _customer(ev.CustomerRegistered(customer, name, f"c{n}@example.com", "+32"))
        for n, product in enumerate(self.products):
            yield _product(
                ev.ProductAdded(product, f"SKU-{n}", f"Product {n}", self.prices[product])
            )
            yield _inventory(product, ev.StockReceived(product, 10**9, 10**9))

    def tick(self, n: int, creating: bool) -> Iterator[Step]:
        if creating:
            yield from self.create(n)
        if 0 <= n - LAG < len(self.orders):
            yield from self.pay_or_cancel(n - LAG)
        if 0 <= n - 2 * LAG < len(self.orders):
            yield from self.ship_or_cancel(n - 2 * LAG)

    def create(self, n: int) -> Iterator[Step]:
        order_id, customer = uuid.uuid4(), self.customers[n * 7 % len(self.customers)]
        picked = [self.products[(n + k * 13) % PRODUCTS] for k in range(1 + n % 3)]
        lines = {p: 1 + (n + k) % 4 for k, p in enumerate(picked)}
        order_lines = tuple(ev.OrderLine(p, "Product", q, self.prices[p]) for p, q in lines.items())
        total = sum((q * self.prices[p] for p, q in lines.items()), Decimal("0.00"))
        yield _order(
            ev.OrderCreated(order_id, f"ORD-{n:07d}", customer, order_lines, ADDRESS, total, "EUR")
        )
        if n % 5 < 2:
            extra = self.products[(n + 29) % PRODUCTS]
            price, before = self.prices[extra], lines.get(extra, 0)
            lines[extra] = before + 1
            total += price
            yield _order(
                ev.ItemAddedToOrder(order_id, extra, "Product", 1, price, before + 1, total)
            )
        self.orders.append((order_id, lines, total))
        if n % 50 == 0:
            yield _customer(ev.CustomerEmailChanged(customer, f"c{n}@new.example.com"))
        if n % 500 == 0:
            product = self.products[n % PRODUCTS]
            self.prices[product] += Decimal("0.10")
            yield _product(ev.ProductPriceChanged(product, self.prices[product]))

    def pay_or_cancel(self, n: int) -> Iterator[Step]:
        order_id, lines, total = self.orders[n]
        if n % 10 == 9:
            yield _order(ev.OrderCancelled(order_id, "changed my mind"))
            return
        if n % 10 < 8:
            yield _order(ev.OrderPaid(order_id, f"pay-{n}", total))
            for product, quantity in lines.items():
                self.reserved[product] += quantity
                reserved = self.reserved[product]
                yield _inventory(product, ev.StockReserved(product, order_id, quantity, reserved))
            yield _order(ev.OrderReadyToShip(order_id, uuid.uuid5(order_id, "s"), f"CHR{n:012d}"))

    def ship_or_cancel(self, n: int) -> Iterator[Step]:
        order_id, lines, total = self.orders[n]
        if n % 10 >= 8:
            return  # cancelled or never paid
        cancel = n % 10 == 7
        if cancel:
            yield _order(ev.OrderRefunded(order_id, f"pay-{n}", total, "out of stock"))
            yield _order(ev.OrderCancelled(order_id, "out of stock"))
        else:
            yield _order(ev.OrderShipped(order_id, "DHL", f"TRK-{n}"))
        for product, quantity in lines.items():
            self.reserved[product] -= quantity
            reserved = self.reserved[product]
            if cancel:
                yield _inventory(product, ev.StockReleased(product, order_id, quantity, reserved))
            else:
                self.on_hand[product] -= quantity
                issued = ev.StockIssued(
                    product, order_id, quantity, self.on_hand[product], reserved
                )
                yield _inventory(product, issued)


def _order(event: DomainEvent) -> Step:
    return f"order-{event.order_id}", "order", event  # type: ignore[attr-defined]


def _customer(event: DomainEvent) -> Step:
    return f"customer-{event.customer_id}", "customer", event  # type: ignore[attr-defined]


def _product(event: DomainEvent) -> Step:
    return f"product-{event.product_id}", "product", event  # type: ignore[attr-defined]


def _inventory(product: uuid.UUID, event: DomainEvent) -> Step:
    return f"inventory-{product}", "inventory", event


def generate(events: int) -> int:
    """Append a history of at least ``events`` events; returns how many it appended."""
    history = History(customers=max(events // EVENTS_PER_CUSTOMER, 10))
    versions: dict[str, int] = {}
    with _no_wake_ups():
        appended = _append(list(history.opening()), versions)
        for first in itertools.count(0, TICKS_PER_TRANSACTION):
            creating = appended < events
            ticks = range(first, first + TICKS_PER_TRANSACTION)
            steps = [step for n in ticks for step in history.tick(n, creating)]
            if not steps and not creating:
                return appended
            appended += _append(steps, versions)
    raise AssertionError("unreachable")


@contextmanager
def _no_wake_ups() -> Iterator[None]:
    """Appends without the after-commit hooks: no worker runs here, and a hook runs
    once per append, hundreds of times per transaction of this generator."""
    store._after_commit_hooks.cache_clear()
    try:
        with override_settings(EVENTSTORE_AFTER_COMMIT=[]):
            yield
    finally:
        store._after_commit_hooks.cache_clear()


def _append(steps: list[Step], versions: dict[str, int]) -> int:
    """Append ``steps`` in one transaction, one ``store.append`` per stream, each naming
    the version the stream is at (``versions``, kept up to date here)."""
    streams: dict[tuple[str, str], list[store.NewEvent]] = defaultdict(list)
    for stream_id, stream_type, event in steps:
        # Personal fields encrypted, as the repository stores them.
        data = shredding.seal(event.event_type, event.to_data())
        new = store.NewEvent(event.event_type, data, event.schema_version)
        streams[stream_id, stream_type].append(new)
    with transaction.atomic():
        for (stream_id, stream_type), news in streams.items():
            expected = versions.get(stream_id, store.NO_STREAM)
            versions[stream_id] = store.append(stream_id, stream_type, news, expected).version
    return len(steps)


# Measuring.


def run(options: argparse.Namespace) -> list[Row]:
    events = generate(options.events)
    _wait_for_horizon()
    size = runner.batch_size(rebuild=True)
    projections = len(all_projections())
    read = events / statistics.median(
        _seconds(lambda: _read_log(size)) for _ in range(options.repeat)
    )
    catch_up = events / _seconds(_catch_up)
    rebuilds = []
    for _ in range(options.repeat):
        _retire_old_generations()
        rebuilds.append(_seconds(_rebuild))
    rebuild = events / statistics.median(rebuilds)
    memory = _memory_rows(events, options.rss_factor)
    return [
        Row("read", f"read_all pages of {size}, decoded ({events:,} events)", read, RATE),
        Row(
            "catch-up", f"catch-up of {projections} projections from empty", catch_up, RATE, "read"
        ),
        Row(
            "rebuild",
            f"rebuild of {projections} projections",
            rebuild,
            RATE,
            "read",
            Target(20_000),
        ),
        Row(
            "catch-up/rebuild",
            "catch-up speed as a share of the rebuild's",
            catch_up / rebuild * 100,
            "%",
            target=Target(80),
        ),
        *memory,
    ]


def _memory_rows(events: int, factor: int) -> list[Row]:
    """Peak RSS of a rebuild in a process of its own, at two lengths of the log."""
    if factor < 2:
        return []
    first, rows = _rebuild_peak_rss_mb()
    longer = events + generate(events * (factor - 1))
    _wait_for_horizon()
    second, more_rows = _rebuild_peak_rss_mb()
    return [
        Row("rss", f"rebuild's peak RSS, {events:,} events, {rows:,} rows", first, "MB"),
        Row(
            "rss-long",
            f"rebuild's peak RSS, {longer:,} events, {more_rows:,} rows",
            second,
            "MB",
            "rss",
        ),
    ]


def _rebuild_peak_rss_mb() -> tuple[float, int]:
    """``manage.py rebuild_projections --all`` in a child process (the environment
    names the benchmark's database): its peak resident set, in MB, and the read-model
    rows it built."""
    _retire_old_generations()
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    child = subprocess.Popen(
        [sys.executable, str(manage), "rebuild_projections", "--all"],
        stdout=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"rebuild_projections exited with {child.returncode}")
    return usage.ru_maxrss / 1024, _live_rows()  # ru_maxrss is in kilobytes on Linux


def _live_rows() -> int:
    """The rows of every projection's active generation (the ones the rebuild built)."""
    total = 0
    for projection in all_projections():
        generation = ProjectionState.objects.get(name=projection.name).generation
        for model in projection.tables:
            scope = model.partition(projection.name, generation)
            total += model._default_manager.filter(**scope).count()
    return total


def _read_log(size: int) -> int:
    after, count = store.START, 0
    while page := store.read_all(after=after, limit=size):
        after, count = page[-1].checkpoint, count + len(page)
    return count


def _catch_up() -> None:
    while runner.advance(max_batches=100).behind:
        pass


def _rebuild() -> None:
    call_command("rebuild_projections", "--all", stdout=io.StringIO())


def _retire_old_generations() -> None:
    """What runners do ``RETIRE_AFTER`` after a switch: delete the retired rows."""
    later = timezone.now() + rebuilding.RETIRE_AFTER
    for projection in all_projections():
        with transaction.atomic():
            state = locks.claim(projection.name, wait=True)
            assert state is not None
            rebuilding.retire_if_due(projection, state, later)


def _wait_for_horizon(timeout: float = 30.0) -> None:
    """Wait until readers see the whole log (another session's open transaction on
    the server holds the safe read horizon back, docs/architecture.md, invariant 5)."""
    deadline = time.monotonic() + timeout
    while store.count_after(store.head()):
        if time.monotonic() > deadline:
            raise RuntimeError("a transaction left open on the server holds the read horizon back")
        time.sleep(0.1)


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
