"""Event-store benchmark (issue #2): what the store costs over the bare driver.

For ``--orders`` orders of 4 events (created, item added, paid, shipped) of a small
order-like aggregate of the benchmark's own (type names prefixed ``Bench``):

(a) append: each event appended in its own transaction through ``store.append``,
    the aggregate kept in memory;
(b) command cycle: load -> command method -> save through ``Repository``, one
    transaction per command, as a command handler runs it;
(c) batch: 1,000 events in one append;
(d) 4 concurrent writers (threads, each its own Django connection) on their own
    streams, one event per transaction, as in (a);
(e) ms to load a 1,000-event aggregate without and with a snapshot;
(f) events/s reading the whole global log from the start in ``store.read_all``
    pages of 1,000, decoded into ``RecordedEvent``s.

Baselines, in the same run: the same rows written with the bare driver (psycopg 3
on PostgreSQL, sqlite3 on SQLite), one row per transaction by one writer and by 4,
and in one 1,000-row multi-row INSERT; the same reads through the bare driver (rows
and their JSON decoded, nothing more). Throughputs are medians of ``--repeat``
repetitions, interleaved so that the growing table weighs on store and baseline
alike; load times are medians of ``LOADS`` loads after a warm-up. The raw one-row
writer uses psycopg's defaults, so its INSERT is a prepared statement after five
runs; Django's client-side binding prepares nothing. The after-commit hooks
(``EVENTSTORE_AFTER_COMMIT``, the projector's wake) are silenced: these are the
store's figures.

Targets (the issue's, for PostgreSQL): (a) >= 50% and (b) >= 40% of the raw one-row
rate, (c) >= 60% of the raw multi-row rate, (d) >= 2,000 ev/s, (e) <= 15 ms without
and <= 1 ms with a snapshot, (f) >= 100,000 ev/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial, singledispatchmethod
from typing import Any, ClassVar
from uuid import UUID, uuid4

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils.module_loading import import_string

from bench import MS, RATE, Row, Target
from eventstore import store
from eventstore.aggregate import Aggregate
from eventstore.events import DomainEvent, event
from eventstore.models import Snapshot
from eventstore.recorders.base import COLUMNS
from eventstore.repository import Repository

MIGRATE = ("eventstore",)  # the only tables used
STEPS = 4  # events per order
BATCH = 1000  # events of (c), and of the aggregate (e) loads
APPENDS = 5  # (c) appends in bench.peers, of which the median is taken
READS = 3  # (f) reads of the whole log in bench.peers, likewise
WRITERS = 4  # threads of (d)
PAGE = 1000  # read_all page size of (f)
LOADS = 9  # timed loads per (e) figure

# The benchmark's own domain: plain dataclasses, as orders/ declares its own.


@event("BenchOrderCreated")
@dataclass(frozen=True)
class BenchOrderCreated(DomainEvent):
    order_id: str
    customer_id: str


@event("BenchItemAdded")
@dataclass(frozen=True)
class BenchItemAdded(DomainEvent):
    sku: str
    quantity: int
    unit_price: Decimal


@event("BenchOrderPaid")
@dataclass(frozen=True)
class BenchOrderPaid(DomainEvent):
    payment_id: str
    amount: Decimal


@event("BenchOrderShipped")
@dataclass(frozen=True)
class BenchOrderShipped(DomainEvent):
    tracking_code: str


class BenchOrderError(Exception):
    pass


@dataclass
class BenchOrder(Aggregate):
    stream_type: ClassVar[str] = "bench_order"

    status: str = "new"
    customer_id: str = ""
    items: int = 0
    total: Decimal = Decimal("0.00")

    def create(self, customer_id: str) -> None:
        self._require("new")
        self._record(BenchOrderCreated(str(self.id), customer_id))

    def add_item(self, sku: str, quantity: int, unit_price: Decimal) -> None:
        self._require("created")
        self._record(BenchItemAdded(sku, quantity, unit_price))

    def pay(self, payment_id: str) -> None:
        self._require("created")
        if not self.items:
            raise BenchOrderError("an empty order cannot be paid")
        self._record(BenchOrderPaid(payment_id, self.total))

    def ship(self, tracking_code: str) -> None:
        self._require("paid")
        self._record(BenchOrderShipped(tracking_code))

    def _require(self, status: str) -> None:
        if self.status != status:
            raise BenchOrderError(f"order {self.id} is {self.status}, not {status}")

    # A dispatcher of the class's own: registering on Aggregate.apply would put every
    # aggregate's handlers in one registry shared by all aggregate classes.
    @singledispatchmethod
    def apply(self, event: DomainEvent) -> None:
        super().apply(event)

    @apply.register
    def _created(self, event: BenchOrderCreated) -> None:
        self.status, self.customer_id = "created", event.customer_id

    @apply.register
    def _item_added(self, event: BenchItemAdded) -> None:
        self.items += event.quantity
        self.total += event.unit_price * event.quantity

    @apply.register
    def _paid(self, event: BenchOrderPaid) -> None:
        self.status = "paid"

    @apply.register
    def _shipped(self, event: BenchOrderShipped) -> None:
        self.status = "shipped"


def command(order: BenchOrder, step: int, n: int) -> None:
    """The order's ``step``-th command: create, add an item, pay, ship."""
    if step == 0:
        order.create(f"customer-{n % 97}")
    elif step == 1:
        order.add_item(f"sku-{n % 13}", 1 + n % 3, Decimal("9.95"))
    elif step == 2:
        order.pay(f"payment-{n}")
    else:
        order.ship(f"track-{n}")


def big_order(order_id: str) -> BenchOrder:
    """An order that recorded ``BATCH`` events in memory: created, then items."""
    order = BenchOrder(id=order_id)
    order.create("customer-1")
    for n in range(BATCH - 1):
        order.add_item(f"sku-{n % 13}", 1, Decimal("1.25"))
    return order


def new_events(events: list[DomainEvent]) -> list[store.NewEvent]:
    command_id = uuid4()
    meta = {"command_id": str(command_id)}
    return [
        store.NewEvent(
            e.event_type, e.to_data(), e.schema_version, metadata=meta, correlation_id=command_id
        )
        for e in events
    ]


# Through the store.


def append_each(tag: str, orders: range) -> None:
    """(a): every command's event appended in its own transaction."""
    for n in orders:
        order = BenchOrder(id=f"{tag}-{n}")
        head = None  # the stream's last event, kept like the aggregate: what to chain to
        for step in range(STEPS):
            command(order, step, n)
            expected = order.loaded_version or store.NO_STREAM
            head = store.append(
                order.stream_id,
                order.stream_type,
                new_events(order.collect_pending()),
                expected,
                head=head,
            ).head


def command_cycles(tag: str, orders: range) -> None:
    """(b): create, then load -> command -> save; one transaction per command."""
    repository = Repository(BenchOrder)
    for n in orders:
        for step in range(STEPS):
            command_id = uuid4()
            with transaction.atomic():
                order = BenchOrder(id=f"{tag}-{n}") if step == 0 else repository.load(f"{tag}-{n}")
                command(order, step, n)
                repository.save(order, command_id=command_id, correlation_id=command_id)


def append_batch(events: list[store.NewEvent], order_id: str) -> None:
    """(c): one append of ``BATCH`` prepared events to a new stream."""
    store.append(
        BenchOrder.stream_id_for(order_id), BenchOrder.stream_type, events, store.NO_STREAM
    )


def read_all_events() -> int:
    """(f): the whole global log, page by page; how many events were read."""
    count, after = 0, store.START
    while page := store.read_all(after, PAGE):
        count += len(page)
        after = page[-1].checkpoint
    return count


# The bare driver: the same rows and reads, no Django, no store.

INSERT_COLUMNS = (
    "event_id, stream_id, stream_type, event_type, schema_version, data, metadata, "
    "version, recorded_at, correlation_id, causation_id, tx_id"
)
# What the store stores: (stream id, event type, data, version).
RawRow = tuple[str, str, dict[str, Any], int]


def raw_rows(tag: str, orders: range) -> list[RawRow]:
    """The rows (a) writes for the same orders, recorded in memory beforehand."""
    rows: list[RawRow] = []
    for n in orders:
        order = BenchOrder(id=f"{tag}-{n}")
        for step in range(STEPS):
            command(order, step, n)
        rows += recorded_rows(order)
    return rows


def recorded_rows(order: BenchOrder) -> list[RawRow]:
    events = order.collect_pending()
    return [(order.stream_id, e.event_type, e.to_data(), v) for v, e in enumerate(events, 1)]


class RawDriver:
    """One bare connection to the benchmark's database; subclasses know the dialect."""

    row_sql: str  # one VALUES tuple
    placeholder = "%s"
    keyset = "(tx_id, position) > (%s, %s)"  # the next page after (tx_id, position)

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    def connect(cls) -> RawDriver:
        db = settings.DATABASES["default"]
        if connection.vendor == "postgresql":
            return RawPostgres.open(db)
        return RawSQLite.open(db)

    def insert_each(self, rows: list[RawRow]) -> None:
        sql = self._insert(1)
        for row in rows:
            with self.transaction():
                self.conn.execute(sql, self.params(row))

    def insert_many(self, rows: list[RawRow]) -> None:
        sql = self._insert(len(rows))
        with self.transaction():
            self.conn.execute(sql, [value for row in rows for value in self.params(row)])

    def select_stream(self, stream_id: str) -> list[Any]:
        sql = f"SELECT {COLUMNS} FROM eventstore_event WHERE stream_id = %s ORDER BY version"
        return self.decoded(self.conn.execute(self._dialect(sql), [stream_id]).fetchall())

    def read_all(self) -> int:
        sql = self._dialect(
            f"SELECT {COLUMNS} FROM eventstore_event WHERE {self.keyset} "
            "ORDER BY tx_id, position LIMIT %s"
        )
        count, after = 0, (0, 0)
        while rows := self.decoded(self.conn.execute(sql, [*after, PAGE]).fetchall()):
            count += len(rows)
            after = (rows[-1][12], rows[-1][0])
        return count

    def last_checkpoint(self) -> tuple[int, int]:
        sql = "SELECT tx_id, position FROM eventstore_event ORDER BY tx_id DESC, position DESC"
        return tuple(self.conn.execute(f"{sql} LIMIT 1").fetchone())  # type: ignore[return-value]

    def params(self, row: RawRow) -> list[Any]:
        stream_id, event_type, data, version = row
        command_id = uuid4()
        meta = json.dumps({"command_id": str(command_id)}, separators=(",", ":"))
        return [
            *(self.uuid(uuid4()), stream_id, BenchOrder.stream_type, event_type, 1),
            *(json.dumps(data, separators=(",", ":")), meta, version, *self.now()),
            *(self.uuid(command_id), None),
        ]

    def _insert(self, rows: int) -> str:
        values = ",".join([self._dialect(self.row_sql)] * rows)
        return f"INSERT INTO eventstore_event ({INSERT_COLUMNS}) VALUES {values}"

    def _dialect(self, sql: str) -> str:
        return sql.replace("%s", self.placeholder)

    def close(self) -> None:
        self.conn.close()

    # Dialect hooks.
    def transaction(self) -> Any:
        raise NotImplementedError

    def uuid(self, value: UUID) -> Any:
        return value

    def now(self) -> tuple[Any, ...]:
        return ()

    def decoded(self, rows: list[Any]) -> list[Any]:
        return rows


class RawPostgres(RawDriver):
    """psycopg 3 with its defaults: server-side binding, jsonb decoded by the driver."""

    # As the store writes a row: server clock, the writing transaction's id.
    row_sql = (
        "(%s,%s,%s,%s,%s,%s::jsonb,%s::jsonb,%s,clock_timestamp(),%s,%s,"
        "pg_current_xact_id()::text::bigint)"
    )

    @classmethod
    def open(cls, db: Mapping[str, Any]) -> RawPostgres:
        import psycopg

        params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"]}
        params |= {"host": db["HOST"], "port": db["PORT"]}
        return cls(psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True))

    def transaction(self) -> Any:
        return self.conn.transaction()


class RawSQLite(RawDriver):
    """sqlite3 with Django's settings: WAL, synchronous=NORMAL, BEGIN IMMEDIATE."""

    row_sql = "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,0)"
    placeholder = "?"
    # tx_id is always 0 here. SQLite uses only the first column of a row-value range
    # (tx_id > ?), so the store's predicate rescans the log from its start every page.
    keyset = "tx_id = %s AND position > %s"

    @classmethod
    def open(cls, db: Mapping[str, Any]) -> RawSQLite:
        import sqlite3

        conn = sqlite3.connect(
            db["NAME"], timeout=20, isolation_level=None, check_same_thread=False
        )
        conn.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        return cls(conn)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def uuid(self, value: UUID) -> Any:
        return value.hex

    def now(self) -> tuple[Any, ...]:
        # Django's SQLite format for an aware datetime: naive UTC, space-separated.
        return (str(dt.datetime.now(dt.UTC).replace(tzinfo=None)),)

    def decoded(self, rows: list[Any]) -> list[Any]:
        loads = json.loads
        return [(*row[:6], loads(row[6]), loads(row[7]), *row[8:]) for row in rows]


# Measuring.

Work = Callable[[], object]


def run(options: argparse.Namespace) -> list[Row]:
    raw = RawDriver.connect()
    try:
        with after_commit_hooks_silenced():
            rates = write_rates(raw, options.orders, options.repeat)
            times = load_times(raw)
            read = read_rates(raw, options.repeat)
    finally:
        raw.close()
    return table(rates, times, read)


# The store's figures, not the projector's: EVENTSTORE_AFTER_COMMIT (waking the
# projection runners) stays silent while they are measured.
_forward: list[Callable[[], object]] | None = None


def after_commit() -> None:
    """Stands in for the configured after-commit hooks: silent during the run."""
    for hook in _forward or ():
        hook()


@contextmanager
def after_commit_hooks_silenced() -> Iterator[None]:
    global _forward
    configured = list(getattr(settings, "EVENTSTORE_AFTER_COMMIT", ()))
    settings.EVENTSTORE_AFTER_COMMIT = [f"{__name__}.after_commit"]
    try:
        yield
    finally:
        settings.EVENTSTORE_AFTER_COMMIT = configured
        # The store resolves its hooks once per process: a benchmark run after this one
        # gets the configured hooks through the stand-in.
        _forward = [import_string(path) for path in configured]


def table(rates: dict[str, float], times: dict[str, float], read: dict[str, float]) -> list[Row]:
    return [
        Row("raw-1row", "raw INSERT, 1 row per tx", rates["raw-1row"], RATE),
        Row(
            "a",
            "(a) append, 1 event per tx",
            rates["a"],
            RATE,
            "raw-1row",
            Target(0.5, of_baseline=True),
        ),
        Row(
            "b",
            "(b) command: load, command, save",
            rates["b"],
            RATE,
            "raw-1row",
            Target(0.4, of_baseline=True),
        ),
        Row("raw-4w", f"raw INSERT, {WRITERS} writers, 1 row per tx", rates["raw-4w"], RATE),
        Row(
            "d",
            f"(d) append, {WRITERS} writers, 1 event per tx",
            rates["d"],
            RATE,
            "raw-4w",
            Target(2000),
        ),
        Row("raw-multi", f"raw multi-row INSERT of {BATCH:,} rows", rates["raw-multi"], RATE),
        Row(
            "c",
            f"(c) append of {BATCH:,} events",
            rates["c"],
            RATE,
            "raw-multi",
            Target(0.6, of_baseline=True),
        ),
        Row("raw-load", f"raw SELECT of a {BATCH:,}-event stream", times["raw-load"], MS),
        Row(
            "e",
            f"(e) load a {BATCH:,}-event aggregate",
            times["e"],
            MS,
            "raw-load",
            Target(15, at_most=True),
        ),
        Row(
            "e-snap",
            "(e) load it from a snapshot",
            times["e-snap"],
            MS,
            "raw-load",
            Target(1, at_most=True),
        ),
        Row(
            "raw-read",
            f"raw read of the log ({read['events']:,.0f} events)",
            read["raw-read"],
            RATE,
        ),
        Row("f", "(f) read_all pages, decoded", read["f"], RATE, "raw-read", Target(100_000)),
    ]


def write_rates(raw: RawDriver, orders: int, repeat: int) -> dict[str, float]:
    """Events/s of each write figure: median of ``repeat`` rounds over all figures."""
    timings: dict[str, list[float]] = defaultdict(list)
    for rep in range(repeat):
        for key, measure in write_figures(raw, orders).items():
            timings[key].append(measure(f"{key}{rep}"))
    sizes = {"raw-multi": BATCH, "c": BATCH}
    return {
        key: sizes.get(key, orders * STEPS) / statistics.median(t) for key, t in timings.items()
    }


def write_figures(raw: RawDriver, orders: int) -> dict[str, Callable[[str], float]]:
    """Each write figure as a function of a fresh stream tag, returning seconds.

    What is not measured (recording rows in memory, connecting) happens first.
    """
    everything = range(orders)

    def raw_one_row(tag: str) -> float:
        rows = raw_rows(tag, everything)
        return seconds(lambda: raw.insert_each(rows))

    def raw_writers(tag: str) -> float:
        return concurrently([partial(raw_writer, raw_rows(tag, part)) for part in shares(orders)])

    def raw_multi(tag: str) -> float:
        rows = recorded_rows(big_order(tag))
        return seconds(lambda: raw.insert_many(rows))

    def batch(tag: str) -> float:
        events = new_events(big_order(tag).collect_pending())
        return seconds(lambda: append_batch(events, tag))

    return {
        "raw-1row": raw_one_row,
        "a": lambda tag: seconds(lambda: append_each(tag, everything)),
        "b": lambda tag: seconds(lambda: command_cycles(tag, everything)),
        "raw-4w": raw_writers,
        "d": lambda tag: concurrently(
            [partial(django_writer, tag, part) for part in shares(orders)]
        ),
        "raw-multi": raw_multi,
        "c": batch,
    }


def load_times(raw: RawDriver) -> dict[str, float]:
    """(e) in ms: the first (c) stream, which has no snapshot, and one saved with one."""
    Repository(BenchOrder, snapshot_every=BATCH).save(big_order("e-snap"))
    assert Snapshot.objects.filter(stream_id=BenchOrder.stream_id_for("e-snap")).exists()
    repository = Repository(BenchOrder)
    for order_id in ("c0", "e-snap"):
        assert repository.load(order_id).version == BATCH
    return {
        "raw-load": median_ms(lambda: raw.select_stream(BenchOrder.stream_id_for("c0"))),
        "e": median_ms(lambda: repository.load("c0")),
        "e-snap": median_ms(lambda: repository.load("e-snap")),
    }


def read_rates(raw: RawDriver, repeat: int) -> dict[str, float]:
    """(f) and its baseline in events/s, median of ``repeat`` reads of the whole log."""
    wait_for_horizon(raw)
    events = read_all_events()
    if raw.read_all() != events:
        raise AssertionError("read_all and the raw read disagree on the number of events")
    return {
        "events": events,
        "raw-read": events / statistics.median(seconds(raw.read_all) for _ in range(repeat)),
        "f": events / statistics.median(seconds(read_all_events) for _ in range(repeat)),
    }


def wait_for_horizon(raw: RawDriver, timeout: float = 30.0) -> None:
    """Wait until ``read_all`` can see the last event written.

    On PostgreSQL it reads below the oldest transaction still running anywhere on
    the server (invariant 5): another session's open transaction hides newer events.
    """
    last = store.Checkpoint(*raw.last_checkpoint())
    deadline = time.monotonic() + timeout
    while store.head() != last:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"read_all's horizon stayed behind {last} for {timeout:.0f} s: a transaction "
                "left open elsewhere on the server holds it back; (f) would read part of the log"
            )
        time.sleep(0.2)


def seconds(work: Work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def median_ms(work: Work) -> float:
    work()  # warm-up: caches, prepared plans
    return 1000 * statistics.median(seconds(work) for _ in range(LOADS))


def concurrently(jobs: list[Callable[[], Work]]) -> float:
    """Wall time of the jobs' work run together, each job in its own thread.

    A job prepares (connects) untimed and returns its work; the clock starts when
    every thread is ready. A thread has its own Django connection, closed at the end.
    """
    ready = threading.Barrier(len(jobs) + 1)
    errors: list[BaseException] = []

    def thread(job: Callable[[], Work]) -> None:
        try:
            work = job()
            ready.wait()
            work()
        except BaseException as error:
            errors.append(error)
            ready.abort()
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=thread, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass  # a job failed while preparing: its error is raised below
    start = time.perf_counter()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def shares(orders: int) -> list[range]:
    """Each writer's orders: disjoint, so every writer has streams of its own."""
    return [range(i, orders, WRITERS) for i in range(WRITERS)]


def django_writer(tag: str, orders: range) -> Work:
    connection.ensure_connection()
    return lambda: append_each(tag, orders)


def raw_writer(rows: list[RawRow]) -> Work:
    raw = RawDriver.connect()

    def work() -> None:
        try:
            raw.insert_each(rows)
        finally:
            raw.close()

    return work
