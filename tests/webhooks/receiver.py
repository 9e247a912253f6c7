"""A real HTTP receiver for the webhook tests: a server on 127.0.0.1 in a thread of
the test process that records every request, checks its Standard Webhooks signature
and answers as the test tells it (a status, a delay, or a hold until released)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float
    signature_ok: bool | None  # None: no secret known to check it with
    client_port: int = 0

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """``answer(request) -> status`` decides each answer (200 by default); ``delay``
    seconds pass before it; while ``hold`` is clear, requests wait for it."""

    url: str = ""
    secret: str | None = None
    answer: Callable[[Received], int] = lambda request: 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.hold.set()

    def accepted(self) -> list[Received]:
        """The requests it answered 2xx, in arrival order."""
        return [r for r in self.received if getattr(r, "status", 200) < 300]

    def bodies(self) -> list[dict[str, Any]]:
        return [r.json for r in self.accepted()]

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while len(self.accepted()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.accepted())} of {count} deliveries arrived")
            time.sleep(0.02)
        return self.accepted()


def start(secret: str | None = None) -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            signed = _verified(receiver.secret, body, headers)
            request = Received(headers, body, time.time(), signed, self.client_address[1])
            receiver.arrived.set()
            receiver.hold.wait()
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.answer(request)
            request.status = status  # type: ignore[attr-defined]
            receiver.received.append(request)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", receiver.url + "elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


def _verified(secret: str | None, body: bytes, headers: dict[str, str]) -> bool | None:
    if secret is None:
        return None
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True
