"""A request line or headers too long answer 414/431 as problem+json, from Django's
outermost middleware, whose limits sit below gunicorn's (gunicorn's own answers are
HTML); ``config/gunicorn.py`` is the production configuration."""

from __future__ import annotations

import json
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from config import request_limits
from tests.api.test_commands import problem

ROOT = Path(settings.BASE_DIR)
GUNICORN_CONF = ROOT / "config" / "gunicorn.py"


@pytest.mark.parametrize("path", ["/api/orders/", "/healthz", "/admin/"])
def test_a_request_line_over_the_limit_is_a_414_problem(path):
    response = APIClient().get(path, {"q": "x" * request_limits.MAX_REQUEST_LINE})
    body = problem(response, 414, "uri_too_long")
    assert str(request_limits.MAX_REQUEST_LINE) in body["detail"]


def test_a_header_over_the_limit_is_a_431_problem():
    response = APIClient().get(
        "/api/orders/", headers={"X-Padding": "x" * request_limits.MAX_HEADER_FIELD_SIZE}
    )
    problem(response, 431, "request_header_fields_too_large")


def test_more_headers_than_the_limit_is_a_431_problem():
    headers = {f"X-H{n}": "1" for n in range(request_limits.MAX_HEADER_FIELDS + 1)}
    response = APIClient().get("/api/orders/", headers=headers)
    problem(response, 431, "request_header_fields_too_large")


def test_requests_within_the_limits_reach_the_application():
    # Long but allowed: the answer is the unknown path's 404, not a 414/431.
    response = APIClient().get(
        "/api/no-such-thing/",
        {"q": "x" * (request_limits.MAX_REQUEST_LINE - 100)},
        headers={"X-Padding": "x" * (request_limits.MAX_HEADER_FIELD_SIZE - 100)},
    )
    problem(response, 404, "not_found")


def test_gunicorns_limits_sit_above_the_middlewares():
    conf = runpy.run_path(str(GUNICORN_CONF))
    assert conf["limit_request_line"] > request_limits.MAX_REQUEST_LINE
    assert conf["limit_request_field_size"] > request_limits.MAX_HEADER_FIELD_SIZE
    assert conf["limit_request_fields"] > request_limits.MAX_HEADER_FIELDS
    assert conf["wsgi_app"] == "config.wsgi:application"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_behind_the_shipped_gunicorn_configuration_the_answers_are_problems(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "SQLITE_PATH": str(tmp_path / "unused.sqlite3"),
    }
    env.pop("DATABASE_URL", None)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        head = b"Host: 127.0.0.1\r\nConnection: close\r\n"
        long_line = _raw_request(
            port, b"GET /api/orders/?q=" + b"x" * 6000 + b" HTTP/1.1\r\n" + head + b"\r\n"
        )
        long_header = _raw_request(
            port, b"GET /healthz HTTP/1.1\r\n" + head + b"X-Padding: " + b"x" * 9000 + b"\r\n\r\n"
        )
    finally:
        server.terminate()
        server.wait(20)
    for answer, status, code in (
        (long_line, 414, "uri_too_long"),
        (long_header, 431, "request_header_fields_too_large"),
    ):
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status} ".encode()), answer[:300]
        assert b"Content-Type: application/problem+json" in head, head
        assert json.loads(body)["code"] == code
