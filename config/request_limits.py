"""Request-line and header limits, answered as problem documents.

gunicorn enforces limits of its own and answers them with HTML pages. Its limits
(``config/gunicorn.py``) are set above these, so a request past these but within
gunicorn's reaches Django, where this middleware, the first one, answers 414 (the
request line) or 431 (one header field, or the number of them) as
``application/problem+json`` before anything else reads the request. Only a request
past gunicorn's limits too still gets gunicorn's HTML.

This module imports nothing that needs Django's settings: the gunicorn
configuration reads the limits from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from problems import CONTENT_TYPE, problem_body

# "GET /path?query HTTP/1.1", in bytes as the client sent it.
MAX_REQUEST_LINE = 4096
# One header line, "Name: value".
MAX_HEADER_FIELD_SIZE = 8190
MAX_HEADER_FIELDS = 100


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        line = request_line_length(request)
        if line > MAX_REQUEST_LINE:
            return _problem(
                414,
                "uri_too_long",
                "URI too long",
                f"the request line is {line} bytes; the limit is {MAX_REQUEST_LINE}",
            )
        fields = header_fields(request)
        if len(fields) > MAX_HEADER_FIELDS:
            return _problem(
                431,
                "request_header_fields_too_large",
                "Request header fields too large",
                f"{len(fields)} header fields; the limit is {MAX_HEADER_FIELDS}",
            )
        for name, size in fields:
            if size > MAX_HEADER_FIELD_SIZE:
                return _problem(
                    431,
                    "request_header_fields_too_large",
                    "Request header fields too large",
                    f"the {name} header is {size} bytes; the limit is {MAX_HEADER_FIELD_SIZE}",
                )
        return self.get_response(request)


def request_line_length(request: HttpRequest) -> int:
    """The request line's length: gunicorn passes the raw target as ``RAW_URI``;
    elsewhere (runserver, the test client) the path and query stand in for it."""
    target = request.META.get("RAW_URI") or request.get_full_path()
    return len(request.method or "") + 1 + len(target) + len(" HTTP/1.1")


def header_fields(request: HttpRequest) -> list[tuple[str, int]]:
    """Each header as (name, size of its "Name: value" line), from the WSGI environ."""
    fields = []
    for key, value in request.META.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key
        else:
            continue
        name = name.replace("_", "-").title()
        fields.append((name, len(name) + 2 + len(str(value))))
    return fields


def _problem(status: int, code: str, title: str, detail: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem_body(status, code, title, detail)),
        status=status,
        content_type=CONTENT_TYPE,
    )
    # Answered before CommonMiddleware, which would otherwise set it.
    response["Content-Length"] = str(len(response.content))
    return response
