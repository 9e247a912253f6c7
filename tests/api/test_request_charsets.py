"""Only UTF-8 gets past the WSGI entry point: a request's charset picks a Python codec
(``bz2``, ``zlib``, ``rot13`` are codecs too), so any other is refused before Django
builds the request. These tests call ``config.wsgi.application`` as gunicorn does."""

from __future__ import annotations

import base64
import io
import json
import tracemalloc
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.wsgi import application

# bz2.compress(b" " * (300 << 20), 9): 242 bytes that decompress to 300 MB.
BZ2_BOMB = base64.b64decode(
    "QlpoOTFBWSZTWbUiZb8BX44QAMAAAAggADCATUZCoCWpCoCXMUFZJlNZtSJlvwFfjhAAwAAACCAAMIBNRkKgJakK"
    "gJcxQVkmU1m1ImW/AV+OEADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWbUiZb8BX44QAMAAAAggADCATUZCoCWpCoCX"
    "MUFZJlNZtSJlvwFfjhAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1m1ImW/AV+OEADAAAAIIAAwgE1GQqAlqQqAlzFB"
    "WSZTWc+JE0UBLBIQBMAAAAEACCAAMMwFKaYiBSNiRApHi7kinChIM1JwbIA="
)


@pytest.fixture(autouse=True)
def _no_connection_housekeeping():
    """As Django's test client does: the real handler would close the test database
    connection around each request (these tests use none)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(
    method: str, path: str, body: bytes = b"", content_type: str | None = None, query: str = ""
) -> tuple[int, dict[str, str], bytes]:
    environ: dict = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    setup_testing_defaults(environ)
    started: list = []

    def start_response(status: str, headers: list, exc_info=None):
        started.append((int(status.split()[0]), dict(headers)))

    chunks = application(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    status, headers = started[0]
    return status, headers, content


def test_a_bz2_bomb_to_the_token_endpoint_is_a_415_and_is_never_decompressed():
    tracemalloc.start()
    try:
        status, headers, content = call(
            "POST", "/api/auth/token/", BZ2_BOMB, "application/json; charset=bz2"
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 415
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(content)["code"] == "unsupported_media_type"
    assert peak < 10 * 1024 * 1024, f"the request took {peak / 2**20:.0f} MB"


@pytest.mark.parametrize("charset", ["zlib", "rot13", "utf-16", "latin-1", "BZ2", '"bz2"'])
def test_any_charset_but_utf8_under_the_api_is_a_415_problem(charset):
    status, headers, content = call(
        "POST", "/api/orders/", b"junk \x00\xff", f"application/json; charset={charset}"
    )
    assert (status, headers["Content-Type"]) == (415, "application/problem+json")
    problem = json.loads(content)
    assert (problem["status"], problem["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    "path, query", [("/healthz", "x=1"), ("/admin/login/", "next=/admin/"), ("/", "")]
)
def test_any_charset_but_utf8_elsewhere_is_a_plain_415_even_without_a_body(path, query):
    status, headers, _ = call("GET", path, content_type="text/plain; charset=rot13", query=query)
    assert status == 415
    assert headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=UTF-8",
        "application/json;charset=utf8",
        'application/json; charset="Utf-8"',
    ],
)
def test_utf8_or_no_charset_reaches_django(content_type):
    # An unknown API path: Django answers its 404 problem, so the request got through.
    status, headers, content = call("POST", "/api/no-such-thing/", b"{}", content_type)
    assert (status, json.loads(content)["code"]) == (404, "not_found")


def test_a_request_without_a_body_needs_no_content_type():
    status, _, content = call("GET", "/api/no-such-thing/", query="x=1")
    assert (status, json.loads(content)["code"]) == (404, "not_found")
