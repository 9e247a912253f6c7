"""A webhook receiver for ``make load``: one subscription to it, on loopback, so the
run prints how long events took from their recording to the receiver's hands.

It checks every signature with the subscription's secret (Standard Webhooks, as a
real receiver would) and deduplicates on ``webhook-id``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


class Deliveries:
    def __init__(self) -> None:
        self.secret = ""
        self.lags: dict[str, float] = {}  # webhook-id -> seconds from recorded_at to arrival
        self.duplicates = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()

    def take(self, body: bytes, headers: dict[str, str]) -> None:
        arrived = time.time()
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception:
            self.bad_signatures += 1
            return
        recorded = dt.datetime.fromisoformat(json.loads(body)["recorded_at"]).timestamp()
        with self.lock:
            if headers["webhook-id"] in self.lags:
                self.duplicates += 1
            self.lags.setdefault(headers["webhook-id"], arrived - recorded)


@contextmanager
def receiving() -> Iterator[tuple[str, Deliveries]]:
    """A receiver on 127.0.0.1 for the duration: its URL and what it received."""
    deliveries = Deliveries()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            deliveries.take(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", deliveries
    finally:
        server.shutdown()
        server.server_close()
