"""Commands through the whole HTTP stack against the plainest Django write.

gunicorn serves Chronicle on loopback; 8 client threads with keep-alive
connections send create-order and pay commands, and, in the same run, POSTs to a
DRF ``CreateAPIView`` + ``ModelSerializer`` that inserts one row into an ordinary
table with the same token authentication (``bench/baseline``), both on persistent
database connections (``CONN_MAX_AGE``, 60 unless set). The ratio is what
event sourcing costs per request: the aggregate load, the event append, the
idempotent event ids and the on-commit wake of the projector.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import MS, Row, Target

CLIENTS = 8
ROUNDS = 3
HISTORY = 1000  # orders created and paid before the run (``_history``)
ROOT = Path(__file__).resolve().parent.parent
REQ = "req/s"


def run(options: argparse.Namespace) -> list[Row]:
    requests = max(200, options.orders // 2)
    token, customer_id, product_id = _seed()
    port = _free_port()
    server = _start_gunicorn(port)
    try:
        client = _Client(port, token)
        _warm_up(client, customer_id, product_id)
        # Rounds of baseline, create, pay, each figure the median of its rounds: one
        # pass of each measured the baseline anywhere from 274 to 461 req/s.
        rounds: dict[str, list[dict[str, float]]] = {"plain": [], "create": [], "pay": []}
        for round_number in range(ROUNDS):
            rounds["plain"].append(
                _measure(
                    client,
                    requests,
                    lambda n: ("/bench/plain-orders/", _plain_body(customer_id, product_id)),
                )
            )
            created: list[str] = []
            rounds["create"].append(
                _measure(
                    client,
                    requests,
                    lambda n: ("/api/orders/", _order_body(customer_id, product_id)),
                    created,
                )
            )
            rounds["pay"].append(
                _measure(
                    client,
                    len(created),
                    lambda n, ids=created, r=round_number: (
                        f"/api/orders/{ids[n]}/pay",
                        {"payment_id": f"p-{r}-{n}"},
                    ),
                )
            )
    finally:
        server.terminate()
        server.wait(10)
    base, create, pay = (_median(rounds[key]) for key in ("plain", "create", "pay"))
    return [
        *_rows("plain", "baseline: CreateAPIView + ModelSerializer", base),
        *_rows("create", "create-order command", create, baseline="plain"),
        *_rows("pay", "pay command", pay, baseline="plain"),
    ]


def _median(results: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(result[key] for result in results) for key in results[0]}


def _rows(key: str, label: str, result: dict[str, float], baseline: str | None = None) -> list[Row]:
    judged = baseline is not None
    return [
        Row(
            f"{key}-rate",
            f"{label}, {CLIENTS} clients",
            result["rate"],
            REQ,
            baseline=f"{baseline}-rate" if judged else None,
            target=Target(0.8, of_baseline=True) if judged else None,
        ),
        Row(
            f"{key}-p50",
            f"{label}, p50 latency",
            result["p50"],
            MS,
            baseline=f"{baseline}-p50" if judged else None,
            target=Target(1.25, at_most=True, of_baseline=True) if judged else None,
        ),
        Row(
            f"{key}-p99",
            f"{label}, p99 latency",
            result["p99"],
            MS,
            baseline=f"{baseline}-p99" if judged else None,
        ),
    ]


def _seed() -> tuple[str, str, str]:
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from orders import commands as c
    from orders.handlers import execute

    user = get_user_model().objects.create_user("bench-staff", is_staff=True)
    _, token = AuthToken.objects.create(user=user)
    customer = execute(
        c.RegisterCustomer(name="Bench Customer", email="bench@example.com", phone="1")
    ).id
    product = execute(c.AddProduct(sku="BENCH-1", name="Bench mug", price=Decimal("12.50"))).id
    for _ in range(10):  # a delivery is at most 1,000,000 units (orders/bounds.py)
        execute(c.ReceiveStock(product_id=product, quantity=1_000_000))
    _history(customer, product)
    return token, str(customer), str(product)


def _history(customer: Any, product: Any) -> None:
    """A shop that has taken orders before, with the statistics autovacuum keeps.

    On an event table of a few rows the planner rightly scans it whole; a statement a
    connection keeps prepared keeps that plan until the table's statistics change
    (autovacuum's ANALYZE, at most a minute later), and the run grows the table a
    hundredfold in less. Measured on a fresh database, a create-order's read of its
    customer, product and stock went from 1.5 to 8.8 ms over 3,000 orders, and to
    0.3 ms after an ANALYZE.
    """
    from django.db import connection

    from orders import commands as c
    from orders.events import ShippingAddress
    from orders.handlers import execute

    address = ShippingAddress(line1="1 Main St", city="Ghent", postal_code="9000", country="BE")
    line = c.ItemRequest(product_id=product, quantity=1)
    for n in range(HISTORY):
        order = execute(
            c.CreateOrder(customer_id=customer, items=(line,), shipping_address=address)
        ).id
        execute(c.PayOrder(order_id=order, payment_id=f"seed-{n}"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "CHRONICLE_BENCH": "1",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        # Persistent connections, as the production notes advise (README), for both.
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
    }  # plain HTTP on loopback
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


class _Client:
    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.local = threading.local()

    def post(self, path: str, body: dict) -> tuple[int, dict, float]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30
            )
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        connection.request("POST", path, json.dumps(body), headers)
        response = connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        return response.status, json.loads(payload or b"{}"), elapsed


def _measure(
    client: _Client,
    count: int,
    request: Callable[[int], tuple[str, dict]],
    ids: list[str] | None = None,
) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    counter = iter(range(count))

    def work() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            path, body = request(n)
            status, payload, elapsed = client.post(path, body)
            with lock:
                latencies.append(elapsed)
                if status >= 300:
                    failures.append(status)
                elif ids is not None:
                    ids.append(payload["id"])

    threads = [threading.Thread(target=work) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed: {sorted(set(failures))}")
    ordered = sorted(latencies)
    return {
        "rate": len(latencies) / wall,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def _warm_up(client: _Client, customer_id: str, product_id: str) -> None:
    for _ in range(3 * CLIENTS):
        client.post("/bench/plain-orders/", _plain_body(customer_id, product_id))
        client.post("/api/orders/", _order_body(customer_id, product_id))


def _plain_body(customer_id: str, product_id: str) -> dict:
    return {
        "customer_id": customer_id,
        "product_id": product_id,
        "quantity": 2,
        "shipping_city": "Ghent",
    }


def _order_body(customer_id: str, product_id: str) -> dict:
    return {
        "customer_id": customer_id,
        "items": [{"product_id": product_id, "quantity": 2}],
        "shipping_address": {
            "line1": "1 Main St",
            "city": "Ghent",
            "postal_code": "9000",
            "country": "BE",
        },
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
