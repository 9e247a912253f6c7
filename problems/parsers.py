"""The API's JSON parser: bounded in size and depth, so hostile bodies get a clear
4xx instead of a worker stuck in (or crashed by) the decoder. JSON is UTF-8 (RFC 8259):
the body is decoded as UTF-8 only, and a request naming another charset is a 415, here
as at the WSGI entry point (``config.request_charset``)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser

from config.request_charset import is_utf8
from problems import Problem


class PayloadTooLarge(Problem):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"request bodies are limited to {limit} bytes")
        if not is_utf8(media_type):
            raise UnsupportedMediaType(media_type)
        try:
            text = raw.decode("utf-8")
            return json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError("JSON nested too deeply") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"JSON parse error - {error}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
