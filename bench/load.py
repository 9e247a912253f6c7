"""``make load``: Chronicle under concurrent clients on PostgreSQL, then proof that
nothing was lost (issue 7, "Load").

Everything runs on loopback and is bounded in time:

1. A throwaway database ``chronicle_load_<pid>`` is created on the PostgreSQL server of
   ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``), migrated,
   and seeded through ``orders.handlers.execute``: one customer with a login per client,
   products with ample stock.
2. gunicorn serves Chronicle on 127.0.0.1 with ``DEBUG`` off, beside two
   ``manage.py qcluster`` processes of one worker each (django-q2's ORM broker).
3. ``--clients`` threads (keep-alive ``http.client``) run for ``--duration`` seconds.
   Each, as its own customer, creates an order, adds items, reads it back with
   ``min_position``, pays most orders, cancels some (paid or not) and lists its orders
   with ``min_position``.
   Before them, for as long and with the same clients and tokens, the baseline: a
   plain DRF ``CreateAPIView`` + ``ModelSerializer`` creating one row per request
   (``bench/baseline``, installed by ``CHRONICLE_BENCH=1``).
4. It prints commands/s, p50/p95/p99 latency per endpoint, responses by status,
   read-your-writes misses, and the projection lag: for each event of the run, the
   time from its ``recorded_at`` until a projection's checkpoint passed it (the
   checkpoints are sampled every 50 ms, so a lag reads up to 50 ms high). Then the
   targets, printed and not enforced: commands/s >= 50% of the baseline's
   creates/s, projection lag p99 <= 1 s.
5. Once the workers have caught up (or after ``--settle`` seconds), it verifies: every
   2xx command's events exist exactly once (by correlation id and command name); no
   stream has a duplicate or missing version; every read model equals a from-scratch
   rebuild, row by row; every event reached the webhook receiver (one subscription to
   every event, delivered by ``manage.py webhooks_worker``), whose delivery lag it
   prints. It exits 1 if a target is missed: a 5xx or a failed
   connection, a lost or duplicated event, a read model that differs from its rebuild.

Usage: ``make load`` or ``python -m bench.load --clients 5 --duration 10``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

from bench.webhook_receiver import Deliveries, receiving

ROOT = Path(__file__).resolve().parent.parent
LOG = Path(tempfile.gettempdir()) / f"chronicle-load-{os.getpid()}.log"  # gunicorn's, qcluster's
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
MAX_DURATION, MAX_CLIENTS = 600, 64
SAMPLE_EVERY = 0.05
ADDRESS = {"line1": "1 Load St", "city": "Ghent", "postal_code": "9000", "country": "BE"}
EXPECTED = {  # command -> the event types it appends (cancelling a paid order refunds it)
    "CreateOrder": ["OrderCreated"],
    "AddItem": ["ItemAddedToOrder"],
    "PayOrder": ["OrderPaid"],
    "CancelOrder": ["OrderCancelled"],
    "CancelPaidOrder": ["OrderRefunded", "OrderCancelled"],
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn processes (3)")
    parser.add_argument("--web-threads", type=int, default=8, help="threads each (8)")
    parser.add_argument("--qclusters", type=int, default=2, help="qcluster processes (2)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="CONN_MAX_AGE of the web and worker processes, as the production notes advise (60)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=150,
        help="seconds to wait for the workers to catch up afterwards (150)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the clients (7)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    options = parser.parse_args(argv)
    if not (0 < options.duration <= MAX_DURATION and 0 < options.clients <= MAX_CLIENTS):
        parser.error(f"--duration must be in (0, {MAX_DURATION}], --clients in (0, {MAX_CLIENTS}]")
    return options


def main(argv: list[str]) -> int:
    options = parse(argv)
    for name, value in _production_env().items():
        os.environ[name] = value
    with throwaway_database(_server_url(), keep=options.keep) as url:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        tokens, products = seed(options.clients)
        port = _free_port()
        with receiving() as (hook_url, deliveries), serving(url, port, options):
            subscription = subscribe(hook_url, deliveries)
            # First, while the workers have nothing to do: the plain DRF create.
            options.load_before_plain = os.getloadavg()[0]
            plain = drive(port, tokens, products, options, PlainClient)
            monitor = Monitor()
            monitor.start()
            started, options.load_before = time.time(), os.getloadavg()[0]
            run = drive(port, tokens, products, options)
            settled = wait_until_caught_up(options.settle)
            delivered = wait_until_delivered(subscription, options.settle)
            monitor.stop()
        print(header(options, run))
        print(latency_table(run))
        found = lags(monitor.samples, started)
        print(lag_table(found))
        print(webhook_table(deliveries))
        print(targets(options, run, plain, found))
        return 0 if verify(run, settled, check_webhooks(subscription, deliveries, delivered)) else 1


# Set-up: environment, throwaway database, seed data, processes.


# The email claims' key derives from it; base64 of "chronicle-bench-throwaway-key-32".
THROWAWAY_KEY = "Y2hyb25pY2xlLWJlbmNoLXRocm93YXdheS1rZXktMzI="


def _production_env() -> dict[str, str]:
    return {
        "DEBUG": "0",  # as in production; with it on, Django keeps every query in memory
        "SECRET_KEY": os.environ.get("SECRET_KEY", "chronicle-load-throwaway-key"),
        "CHRONICLE_INTEGRITY_KEY": os.environ.get("CHRONICLE_INTEGRITY_KEY", THROWAWAY_KEY),
        # Wraps the customers' data keys (a throwaway one, as for the integrity key).
        "CHRONICLE_KEY_ENCRYPTION_KEY": os.environ.get(
            "CHRONICLE_KEY_ENCRYPTION_KEY", THROWAWAY_KEY
        ),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "CHRONICLE_BENCH": "1",  # installs the plain DRF create (bench/baseline)
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is on loopback
    }


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_SERVER


@contextmanager
def throwaway_database(server: str, *, keep: bool = False) -> Iterator[str]:
    """Create ``chronicle_load_<pid>`` on ``server``, point ``DATABASE_URL`` at it, drop it."""
    import psycopg
    from psycopg import sql

    name = f"chronicle_load_{os.getpid()}"
    admin_url = urlunsplit(urlsplit(server)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # the ORM broker: nothing shared with other runs
    try:
        yield url
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if keep:
            print(f"kept database {name}")
        else:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(drop)


def seed(clients: int) -> tuple[list[str], list[str]]:
    """One customer with a login and token per client; products with ample stock."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from orders import commands as c
    from orders.handlers import execute
    from orders.models import CustomerAccount

    products = []
    for n in range(8):
        price = Decimal(f"{3 + n}.50")
        product = execute(c.AddProduct(sku=f"LOAD-{n}", name=f"Load item {n}", price=price)).id
        execute(c.ReceiveStock(product_id=product, quantity=1_000_000))
        products.append(str(product))
    tokens = []
    for n in range(clients):
        email = f"client{n}@load.example"
        customer = execute(c.RegisterCustomer(name=f"Client {n}", email=email, phone="1")).id
        user = get_user_model().objects.create_user(f"load-client-{n}")
        CustomerAccount.objects.create(user=user, customer_id=customer)
        tokens.append(AuthToken.objects.create(user=user)[1])
    return tokens, products


@contextmanager
def serving(url: str, port: int, options: argparse.Namespace) -> Iterator[None]:
    """gunicorn on 127.0.0.1:``port`` and the qcluster processes, logging to ``LOG``;
    all stopped afterwards."""
    env = {**os.environ, "DATABASE_URL": url, "Q_WORKERS": "1"}
    env["CONN_MAX_AGE"] = str(options.conn_max_age)
    web = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    web += ["--worker-class", "gthread", "--workers", str(options.web_workers)]
    web += ["--threads", str(options.web_threads), "--log-level", "warning"]
    worker = [sys.executable, "manage.py", "qcluster"]
    with LOG.open("w") as log:
        started = [_spawn(web, env, log)]
        started += [_spawn(worker, env, log) for _ in range(options.qclusters)]
        # The webhooks' own cluster, one worker: one subscription to deliver.
        hooks = {**env, "WEBHOOKS_WORKERS": "1"}
        started.append(_spawn([sys.executable, "manage.py", "webhooks_worker"], hooks, log))
    try:
        _wait_for_port(port)
        yield
    finally:
        for process in started:
            _stop(process)


def _spawn(command: list[str], env: dict[str, str], log: IO[str]) -> subprocess.Popen:
    # Its own session: stopping the group stops gunicorn's and qcluster's children too.
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the group; qcluster can hang on it, so SIGKILL after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
            process.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The clients.


@dataclass
class Run:
    """What the clients saw: one ``(endpoint, status, seconds)`` per request, the 2xx
    commands to look for in the log, and reads that did not see their own write."""

    seconds: float = 0.0
    requests: list[tuple[str, int, float]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    stale_reads: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)


class Client(threading.Thread):
    def __init__(self, port: int, token: str, products: list[str], seed: int):
        super().__init__(daemon=True)
        self.port, self.token, self.products = port, token, products
        self.until = 0.0  # set when the clock starts
        self.random = random.Random(seed)
        self.seen = Run()
        self.connection: http.client.HTTPConnection | None = None

    def run(self) -> None:
        try:
            while time.monotonic() < self.until:
                self.one_order()
        except Exception as error:  # an answer the client did not expect: reported, fails the run
            self.seen.errors.append(f"{type(error).__name__}: {error}")
        if self.connection is not None:
            self.connection.close()

    def warm_up(self) -> None:
        """Unmeasured requests, so the workers import the app before the clock starts."""
        for _ in range(3):
            self.request("GET", "warm-up", "/api/orders/?page_size=1")
        self.seen.requests.clear()
        if self.connection is not None:  # idle past the server's keep-alive by the start
            self.connection.close()
            self.connection = None

    def one_order(self) -> None:
        item = {"product_id": self.random.choice(self.products), "quantity": 1}
        body = {"items": [item], "shipping_address": ADDRESS}
        written = self.command("CreateOrder", "/api/orders/", body)
        if written is None:
            return
        order, paid = written["id"], False
        for _ in range(self.random.randint(0, 2)):
            item = {"product_id": self.random.choice(self.products), "quantity": 2}
            written = self.command("AddItem", "/api/orders/{id}/items", item, order) or written
        self.read_detail(order, written)
        if self.random.random() < 0.7:
            payment = {"payment_id": f"pay-{uuid4().hex[:12]}"}
            result = self.command("PayOrder", "/api/orders/{id}/pay", payment, order)
            written, paid = result or written, result is not None
        if self.random.random() < 0.25:
            name = "CancelPaidOrder" if paid else "CancelOrder"
            reason = {"reason": "load"}
            written = self.command(name, "/api/orders/{id}/cancel", reason, order) or written
        self.read_list(order, written)

    def command(self, name: str, route: str, body: dict, order: str = "") -> dict | None:
        """POST ``body`` to ``route`` (``{id}``: the order); the answer if 2xx, else None."""
        correlation = str(uuid4())
        path = route.format(id=order)
        status, payload, _ = self.request("POST", f"POST {route}", path, body, correlation)
        if not 200 <= status < 300:
            return None
        written = {"command": name, "correlation": correlation, "order": order or payload["id"]}
        self.seen.commands.append({**written, **payload})
        return payload

    def read_detail(self, order: str, written: dict) -> None:
        path = f"/api/orders/{order}?min_position={written['position']}"
        status, _, headers = self.request("GET", "GET /api/orders/{id}", path)
        etag = headers.get("etag", '"0"').strip('W/"')
        self._count_read(status == 200 and int(etag or 0) >= written["version"])

    def read_list(self, order: str, written: dict) -> None:
        path = f"/api/orders/?min_position={written['position']}&page_size=5"
        status, payload, _ = self.request("GET", "GET /api/orders/", path)
        rows = payload.get("results", []) if status == 200 else []
        self._count_read(
            any(r["order_id"] == order and r["version"] >= written["version"] for r in rows)
        )

    def _count_read(self, fresh: bool) -> None:
        self.seen.reads += 1
        self.seen.stale_reads += not fresh

    def request(
        self,
        method: str,
        endpoint: str,
        path: str,
        body: dict | None = None,
        correlation: str | None = None,
    ) -> tuple[int, dict, dict[str, str]]:
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        if correlation:
            headers["X-Correlation-ID"] = correlation
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request(method, path, json.dumps(body) if body else None, headers)
            response = self.connection.getresponse()
            raw, status = response.read(), response.status
            answer = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException):
            self.connection = None  # count it, reconnect on the next request
            raw, status, answer = b"", 0, {}
        self.seen.requests.append((endpoint, status, time.perf_counter() - started))
        try:
            return status, json.loads(raw or b"{}"), answer
        except ValueError:
            return status, {}, answer


class PlainClient(Client):
    """The baseline: the same clients creating a row through a DRF ``CreateAPIView`` +
    ``ModelSerializer`` (``bench/baseline``), with the same token authentication."""

    def one_order(self) -> None:
        body = {"customer_id": str(uuid4()), "product_id": self.random.choice(self.products)}
        body |= {"quantity": 1, "shipping_city": ADDRESS["city"]}
        self.command("PlainCreate", "/bench/plain-orders/", body)


def drive(
    port: int,
    tokens: list[str],
    products: list[str],
    options: argparse.Namespace,
    kind: type[Client] | None = None,
) -> Run:
    kind = kind or Client
    clients = [kind(port, t, products, options.seed * 1000 + n) for n, t in enumerate(tokens)]
    for client in clients:
        client.warm_up()
    started = time.perf_counter()
    for client in clients:
        client.until = time.monotonic() + options.duration
        client.start()
    for client in clients:
        client.join(options.duration + 120)
    run = Run(seconds=time.perf_counter() - started)
    for client in clients:
        run.requests += client.seen.requests
        run.commands += client.seen.commands
        run.stale_reads += client.seen.stale_reads
        run.reads += client.seen.reads
        run.errors += client.seen.errors
    return run


# Projection lag: checkpoints sampled while the load runs.


class Monitor(threading.Thread):
    """Samples every projection's checkpoint every ``SAMPLE_EVERY`` seconds."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, dict[str, tuple[int, int]]]] = []
        self.done = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from projections.models import ProjectionState

        try:
            while not self.done.wait(SAMPLE_EVERY):
                rows = ProjectionState.objects.values_list("name", "tx_id", "position")
                self.samples.append((time.time(), {n: (t, p) for n, t, p in rows}))
        finally:
            connection.close()

    def stop(self) -> None:
        self.done.set()
        self.join(10)


def lags(samples: list[tuple[float, dict]], since: float) -> dict[str, list[float]]:
    """Per projection, each event's seconds from ``recorded_at`` to the first sample
    whose checkpoint is at or past it. (The process managers keep their checkpoints
    in a table of their own, ``orders.processes.state``: not sampled here.)"""
    from django.db import connection

    from projections.engine import projection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tx_id, position, EXTRACT(EPOCH FROM recorded_at) FROM eventstore_event "
            "WHERE recorded_at >= to_timestamp(%s) ORDER BY tx_id, position",
            [since],
        )
        events = cursor.fetchall()
    found = {name: _lags(samples, events, name) for name in projection.names()}
    found["all projections"] = [max(per) for per in zip(*found.values(), strict=False)]
    return found


def _lags(samples: list[tuple[float, dict]], events: list[tuple], name: str) -> list[float]:
    at, found = 0, []
    for tx_id, position, recorded in events:
        while at < len(samples) and samples[at][1].get(name, (0, 0)) < (tx_id, position):
            at += 1
        if at == len(samples):
            break  # not applied while sampled: the events column shows how many were
        found.append(samples[at][0] - float(recorded))
    return found


def subscribe(url: str, deliveries: Deliveries) -> str:
    """One subscription, to every event, before the load starts."""
    from webhooks import registration

    subscription, deliveries.secret = registration.register(target_url=url)
    return subscription.state_name


def wait_until_delivered(state_name: str, seconds: float) -> bool:
    """Whether the subscription's runner reached the head of the log in time."""
    from eventstore import store
    from orders.processes.state import ProcessState

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        head = store.head()
        if ProcessState.objects.get(name=state_name).checkpoint >= head:
            return True
        time.sleep(0.5)
    return False


def wait_until_caught_up(seconds: float) -> bool:
    """Whether every projection reached the head of the log in time."""
    from eventstore import store
    from projections.models import ProjectionState

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        head = store.head()
        states = ProjectionState.objects.all()
        if states and all(state.checkpoint >= head for state in states) and store.head() == head:
            return True
        time.sleep(0.5)
    return False


# Figures.


def header(options: argparse.Namespace, run: Run) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    commands = len(run.commands)
    return (
        f"Chronicle load on PostgreSQL {version} "
        f"({connection.settings_dict['NAME']}): {options.clients} clients for "
        f"{options.duration:g} s; gunicorn {options.web_workers}x{options.web_threads} gthread, "
        f"{options.qclusters} qcluster workers, CONN_MAX_AGE={options.conn_max_age}; "
        f"load average {options.load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"on {os.cpu_count()} CPUs (others' work counts too); server and worker log {LOG}\n"
        f"commands: {commands} ok, {commands / run.seconds:.1f}/s; requests: {len(run.requests)}, "
        f"{len(run.requests) / run.seconds:.1f}/s; reads missing their own write "
        f"(min_position wait timed out): {run.stale_reads} of {run.reads}"
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _ms(values: list[float], share: float) -> str:
    return f"{_percentile(values, share) * 1000:,.0f}"


def latency_table(run: Run) -> str:
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    for endpoint, status, elapsed in run.requests:
        by_endpoint[endpoint].append(elapsed)
        statuses[endpoint][status] += 1
    lines = [
        f"{'endpoint':32} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  statuses",
        "-" * 90,
    ]
    for endpoint in sorted(by_endpoint):
        seconds = by_endpoint[endpoint]
        shown = ", ".join(
            f"{s or 'conn-error'}: {n}" for s, n in sorted(statuses[endpoint].items())
        )
        median = f"{statistics.median(seconds) * 1000:,.0f}"
        lines.append(
            f"{endpoint:32} {len(seconds):>6} {median:>7} {_ms(seconds, 0.95):>7} "
            f"{_ms(seconds, 0.99):>7}  {shown}"
        )
    return "\n" + "\n".join(lines)


def lag_table(found: dict[str, list[float]]) -> str:
    lines = [
        f"\n{'projection lag':32} {'events':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}",
        "-" * 64,
    ]
    for name, values in found.items():
        if values:
            lines.append(
                f"{name:32} {len(values):>6} {_ms(values, 0.5):>7} "
                f"{_ms(values, 0.99):>7} {max(values) * 1000:>7,.0f}"
            )
        else:
            lines.append(f"{name:32} {0:>6} (nothing applied while sampled)")
    return "\n".join(lines)


def webhook_table(deliveries: Deliveries) -> str:
    lags = list(deliveries.lags.values())
    if not lags:
        return "\nwebhook delivery lag: nothing was delivered"
    return (
        f"\nwebhook delivery lag (one subscription to every event, a receiver on loopback, "
        f"from recorded_at to arrival): {len(lags)} events, p50 {_ms(lags, 0.5)} ms, "
        f"p99 {_ms(lags, 0.99)} ms, max {max(lags) * 1000:,.0f} ms; "
        f"{deliveries.duplicates} delivered again (at least once), "
        f"{deliveries.bad_signatures} bad signatures"
    )


def targets(
    options: argparse.Namespace, run: Run, plain: Run, found: dict[str, list[float]]
) -> str:
    """Chronicle's commands/s against the plain create's, and the projection lag's p99.

    Printed, not enforced: the exit status says whether anything was lost or wrong.
    """
    rate, plain_rate = len(run.commands) / run.seconds, len(plain.commands) / plain.seconds
    share = rate / plain_rate if plain_rate else 0.0
    requests = len(run.requests) / run.seconds
    statuses = Counter(status for _, status, _ in plain.requests)
    shown = ", ".join(f"{s or 'conn-error'}: {n}" for s, n in sorted(statuses.items()))
    median = statistics.median(t for _, _, t in plain.requests) * 1000 if plain.requests else 0
    every = found.get("all projections") or []
    p99 = _percentile(every, 0.99) * 1000 if every else float("inf")
    return "\n".join(
        [
            f"\nplain DRF create (CreateAPIView + ModelSerializer, one row), the same "
            f"{options.clients} clients for {options.duration:g} s before the run above, load "
            f"average {options.load_before_plain:.1f} at its start: {len(plain.commands)} ok, "
            f"{plain_rate:.1f}/s, p50 {median:,.0f} ms; statuses {shown}",
            "targets",
            f"  commands/s: {rate:.1f} = {share:.0%} of the plain create's {plain_rate:.1f}/s "
            f"(>= 50%): {'met' if share >= 0.5 else 'MISSED'}",
            f"  (requests/s, reads included: {requests:.1f} = {requests / plain_rate:.0%}; "
            "the clients also read their orders back, the plain ones only create)"
            if plain_rate
            else "",
            f"  projection lag p99, all projections: {p99:,.0f} ms (<= 1,000 ms): "
            f"{'met' if p99 <= 1000 else 'MISSED'}",
        ]
    )


# Verification.


def check_webhooks(state_name: str, deliveries: Deliveries, delivered: bool) -> tuple:
    """Every event after the subscription arrived, signed."""
    from eventstore.models import Event
    from webhooks.delivery import delivery_id
    from webhooks.models import Subscription

    subscription = Subscription.objects.get(pk=state_name.removeprefix("webhook:"))
    wanted = Event.objects.filter(recorded_at__gte=subscription.created_at)
    ids = {delivery_id(subscription.pk, e) for e in wanted.values_list("event_id", flat=True)}
    missing = len(ids - set(deliveries.lags))
    ok = delivered and not missing and not deliveries.bad_signatures
    return (
        "every event reached the webhook receiver, signed",
        ok,
        f"{missing} missing, {deliveries.bad_signatures} bad signatures" if not ok else "",
    )


def verify(run: Run, settled: bool, webhooks: tuple) -> bool:
    from projections.engine import runner

    failed_requests = sum(1 for _, status, _ in run.requests if status == 0 or status >= 500)
    if not settled:
        print("\nthe workers did not catch up within --settle; catching up here to compare")
        while runner.advance(max_batches=100).behind:
            pass
    checks = [
        ("no 5xx and no failed connection", failed_requests == 0, f"{failed_requests} failed"),
        ("no client met an answer it did not expect", not run.errors, "; ".join(run.errors[:3])),
        ("workers caught up on their own", settled, ""),
        webhooks,
        check_commands(run.commands),
        check_streams(),
        *check_read_models(),
    ]
    print("\nverification")
    for label, ok, detail in checks:
        print(f"  {'ok    ' if ok else 'FAILED'} {label}{f': {detail}' if detail else ''}")
    return all(ok for _, ok, _ in checks)


def check_commands(commands: list[dict[str, Any]]) -> tuple[str, bool, str]:
    """Every 2xx command's events are in its order's stream, exactly once, the response's
    position and version its last event's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT correlation_id::text, stream_id, metadata->>'command', event_type, version, "
            "position FROM eventstore_event WHERE correlation_id = ANY(%s::uuid[]) "
            "ORDER BY position",
            [[command["correlation"] for command in commands]],
        )
        stored: dict[tuple[str, str, str], list[tuple[str, int, int]]] = defaultdict(list)
        for correlation, stream, name, event_type, version, position in cursor.fetchall():
            stored[correlation, stream, name].append((event_type, version, position))
    lost = duplicated = mismatched = 0
    for command in commands:
        name = "CancelOrder" if command["command"] == "CancelPaidOrder" else command["command"]
        events = stored.get((command["correlation"], f"order-{command['order']}", name), [])
        expected = EXPECTED[command["command"]]
        types = [event_type for event_type, _, _ in events]
        lost += len(events) < len(expected)
        duplicated += len(events) > len(expected)
        if events and (
            types != expected or events[-1][1:] != (command["version"], command["position"])
        ):
            mismatched += 1
    detail = f"{len(commands)} commands; {lost} lost, {duplicated} duplicated, {mismatched} differ"
    ok = not (lost or duplicated or mismatched)
    return "every 2xx command's events exist exactly once", ok, detail


def check_streams() -> tuple[str, bool, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT stream_id FROM eventstore_event GROUP BY stream_id "
            "HAVING COUNT(*) <> COUNT(DISTINCT version) OR MIN(version) <> 1 "
            "OR MAX(version) <> COUNT(*)) AS broken"
        )
        (broken,) = cursor.fetchone()
        cursor.execute("SELECT COUNT(DISTINCT stream_id), COUNT(*) FROM eventstore_event")
        streams, events = cursor.fetchone()
    return (
        "no stream has a duplicate or missing version",
        broken == 0,
        f"{streams} streams, {events} events, {broken} broken",
    )


def check_read_models() -> list[tuple[str, bool, str]]:
    """Each projection's active rows against a rebuild from position 0, row by row."""
    from projections.engine import rebuilding, runner
    from projections.engine.projection import all_projections
    from projections.models import ProjectionState

    live = {p.name: _rows(p) for p in all_projections()}
    for projection in all_projections():
        rebuilding.start(projection.name)
    deadline = time.monotonic() + 600
    while ProjectionState.objects.filter(rebuild_generation__isnull=False).exists():
        if time.monotonic() > deadline:
            return [("read models rebuilt", False, "the rebuild did not finish in 600 s")]
        runner.advance(max_batches=100)
    results = []
    for projection in all_projections():
        rebuilt = _rows(projection)
        for table, rows in live[projection.name].items():
            differ = sum(((rows - rebuilt[table]) + (rebuilt[table] - rows)).values())
            results.append(
                (
                    f"{projection.name}.{table} equals its rebuild",
                    differ == 0,
                    f"{sum(rows.values())} rows, {differ} differ",
                )
            )
    return results


def _rows(projection: Any) -> dict[str, Counter[str]]:
    """The active generation's rows of each table, without surrogate key and generation."""
    from django.forms.models import model_to_dict

    from projections.engine.freshness import read_view

    generation = read_view(projection.name).generation
    tables = {}
    for model in projection.tables:
        rows = model._default_manager.filter(**model.partition(projection.name, generation))
        tables[model.__name__] = Counter(
            json.dumps(
                model_to_dict(row, exclude=["id", "generation"]), sort_keys=True, default=str
            )
            for row in rows.iterator()
        )
    return tables


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
