"""UTF-8 only, refused at the WSGI entry point, before Django builds the request.

A request's ``charset`` parameter names a Python codec, and Python's codec registry
holds more than text encodings: ``bz2`` and ``zlib`` decompress (a 300-byte body
becomes hundreds of megabytes), ``rot13`` maps text to text and fails on bytes.
Django's ``WSGIRequest`` looks the charset up and decodes the query string and form
bodies with it, before any middleware runs, so the refusal has to wrap Django.

Contract: a request whose ``Content-Type`` names a charset other than UTF-8
(``utf-8``/``utf8``, any case, quoted or not) answers 415 without being read: a
problem document under ``/api/``, plain text elsewhere. No ``Content-Type`` or no
charset parameter is UTF-8 (requests without a body need no ``Content-Type``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.utils.http import parse_header_parameters

from problems import CONTENT_TYPE as PROBLEM_JSON
from problems import problem_body

UTF8_NAMES = frozenset({"utf-8", "utf8"})

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def declared_charset(content_type: str) -> str | None:
    """The charset a ``Content-Type`` names, parsed as Django parses it (``None`` if none).

    A header Django could not parse counts as naming an unacceptable charset."""
    try:
        _, params = parse_header_parameters(content_type)
    except ValueError:  # an RFC 2231 parameter in an unknown encoding
        return "?"
    return params.get("charset")


def is_utf8(content_type: str | None) -> bool:
    charset = declared_charset(content_type or "")
    return charset is None or charset.strip().lower() in UTF8_NAMES


def utf8_only(app: WSGIApp) -> WSGIApp:
    """Wrap a WSGI application so that only UTF-8 requests reach it."""

    def guarded(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        content_type = environ.get("CONTENT_TYPE", "")
        if is_utf8(content_type):
            return app(environ, start_response)
        return _refuse(environ.get("PATH_INFO", ""), start_response)

    return guarded


def _refuse(path: str, start_response: StartResponse) -> Iterable[bytes]:
    detail = "Only UTF-8 is accepted: send charset=utf-8 or no charset."
    if path.startswith("/api/"):
        content_type = PROBLEM_JSON
        problem = problem_body(415, "unsupported_media_type", "Unsupported media type", detail)
        body = json.dumps(problem).encode()
    else:
        content_type = "text/plain; charset=utf-8"
        body = f"415 Unsupported Media Type\n{detail}\n".encode()
    start_response(
        "415 Unsupported Media Type",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]
