"""``X-Correlation-ID``: one rule for every endpoint, reads included.

A client (or a proxy, or a tracer) may send any printable ASCII value of up to 128
characters; the response echoes it as given. The event store's ``correlation_id``
column holds UUIDs, so a value that is a UUID is stored as that UUID, and any other
value as ``uuid5(NAMESPACE, value)``, with the value itself kept in each event's
metadata under ``correlation_id_given`` (docs/architecture.md, "The flow of one
command"). The same opaque id always maps to the same UUID, so the admin's
correlation page gathers every request that sent it. Without the header a new UUID
is made, or, when the request carries a W3C ``traceparent``, the UUID of its trace id
(config/tracing.py): the trace and the correlation page then name one another.
Anything longer or not printable is a 400 ``invalid_correlation_id``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID, uuid4, uuid5

from django.http import HttpRequest, HttpResponse

from problems import CONTENT_TYPE, problem_body

HEADER = "X-Correlation-ID"
MAX_LENGTH = 128
# Fixed for good: changing it would split every stored opaque id's correlation in two.
NAMESPACE = UUID("6f1c1f5e-8d0b-4c8e-9a43-2f0e6a1c7d35")
PRINTABLE = re.compile(rf"[\x20-\x7e]{{1,{MAX_LENGTH}}}")


@dataclass(frozen=True)
class Correlation:
    """The request's correlation: ``id`` for the column, ``given`` as the client sent it."""

    id: UUID
    given: str

    @property
    def opaque(self) -> str | None:
        """What the events' metadata keeps: the value sent, when it was not a UUID."""
        return None if _as_uuid(self.given) is not None else self.given


def correlation_of(value: str | None, traceparent: str | None = None) -> Correlation:
    """The correlation a header value names (when absent or empty, the trace's, or a
    new one); raises ``ValueError`` for a value longer than ``MAX_LENGTH`` or not
    printable ASCII."""
    if not value:
        made = _trace_of(traceparent) or uuid4()
        return Correlation(made, str(made))
    if not PRINTABLE.fullmatch(value):
        raise ValueError(f"{HEADER} must be 1 to {MAX_LENGTH} printable ASCII characters")
    return Correlation(_as_uuid(value) or uuid5(NAMESPACE, value), value)


TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")


def _trace_of(traceparent: str | None) -> UUID | None:
    """The trace id of a W3C ``traceparent`` as a UUID; None if there is none valid
    (version ff and the all-zero trace id are invalid)."""
    match = TRACEPARENT.fullmatch((traceparent or "").strip())
    if match is None or match.group(1) == "ff" or match.group(2) == "0" * 32:
        return None
    return UUID(match.group(2))


def _as_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


class CorrelationMiddleware:
    """Reads the header into ``request.correlation`` and echoes it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            correlation = correlation_of(
                request.headers.get(HEADER), request.headers.get("traceparent")
            )
        except ValueError as error:
            return _refused(str(error))
        request.correlation = correlation  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[HEADER] = correlation.given
        return response


def _refused(detail: str) -> HttpResponse:
    body = problem_body(
        400,
        "invalid_correlation_id",
        "Invalid correlation id",
        detail,
        errors=[{"field": HEADER, "message": f"1 to {MAX_LENGTH} printable ASCII characters"}],
    )
    response = HttpResponse(json.dumps(body), status=400, content_type=CONTENT_TYPE)
    # Answered before CommonMiddleware, which would otherwise set it.
    response["Content-Length"] = str(len(response.content))
    return response
