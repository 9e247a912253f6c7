"""What every command endpoint shares: the command context from the request
(user, correlation id, If-Match), idempotent replay, and the success response."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.correlation import Correlation
from orders import handlers, idempotency
from orders.api.serializers import CommandResultSerializer, ProblemSerializer
from orders.commands import Command
from orders.unit_of_work import CommandResult, EventStoreUnitOfWork
from problems import NotFound, Problem

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,9})"\s*$')


class PermissionDenied(Problem):
    status = 403
    code = "permission_denied"
    title = "Permission denied"


def parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    match = _ETAG.match(value)
    if not match:
        raise Problem(
            'If-Match must be a quoted version such as "3"',
            errors=[{"field": "If-Match", "message": "malformed"}],
        )
    return int(match.group(1))


class CommandApi(APIView):
    """Base of the command endpoints: defines ``post`` only, so a query view can share a path."""

    success_status = 200
    # Creates ignore If-Match: there is no version to compare yet.
    uses_if_match = True
    # A create's read model, "/api/orders/{id}": the 201's Location, with
    # ?min_position= so that following it reads the client's own write.
    created_path = ""

    def unit_of_work(self) -> EventStoreUnitOfWork:
        """The request's one unit of work: what a check reads ahead in it (the order an
        order command names) the command's load uses."""
        uow: EventStoreUnitOfWork | None = getattr(self, "_uow", None)
        if uow is None:
            uow = self._uow = EventStoreUnitOfWork()
        return uow

    def context(self, request: Request) -> dict[str, Any]:
        """Keyword arguments every command takes from the request; the correlation is
        config.correlation.CorrelationMiddleware's."""
        correlation: Correlation = request.correlation  # type: ignore[attr-defined]
        return {
            "user_id": request.user.pk,
            "correlation_id": correlation.id,
            "correlation_id_given": correlation.opaque,
            "expected_version": parse_if_match(request.headers.get("If-Match"))
            if self.uses_if_match
            else None,
        }

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied("you may not do this")

    def require_found(self, found: bool, what: str, which: object) -> None:
        if not found:
            raise NotFound(f"no {what} {which}")

    def validated(self, serializer_class: type, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def run(
        self,
        request: Request,
        build: Callable[[], Command],
        also: Callable[[CommandResult], None] | None = None,
    ) -> Response:
        """Build the command (validating the body) and execute it once per Idempotency-Key.

        ``also`` runs inside the command's transaction, after the events are saved, and
        so does the completion of the Idempotency-Key's record: both commit with the
        events or not at all.
        """
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            if not 1 <= len(key) <= 255:
                raise Problem(
                    "Idempotency-Key must be 1 to 255 characters",
                    errors=[{"field": "Idempotency-Key", "message": "1 to 255 characters"}],
                )
            print_ = idempotency.fingerprint(
                request.user.pk, request.method or "", request.path, request.data
            )
            stored = idempotency.claim(request.user.pk, key, print_)
            if stored is not None:
                return Response(stored.body, status=stored.status, headers=stored.headers)

        uow = self.unit_of_work()
        if also is not None:
            uow.before_commit(also)
        if key is not None:
            uow.before_commit(self._completing(request.user.pk, key))
        try:
            result = handlers.execute(build(), uow)
        except BaseException:
            if key is not None:
                idempotency.release(request.user.pk, key)
            raise
        return self._respond(result)

    def _completing(self, user_id: Any, key: str) -> Callable[[CommandResult], None]:
        """Work that stores the response as the key's, once the command has saved."""
        return lambda result: idempotency.complete(user_id, key, self._stored(result))

    def _stored(self, result: CommandResult) -> idempotency.StoredResponse:
        body = {"id": str(result.id), "version": result.version, "position": result.position}
        location = (
            f"{self.created_path.format(id=result.id)}?min_position={result.position}"
            if self.created_path
            else ""
        )
        return idempotency.StoredResponse(
            self.success_status, body, f'"{result.version}"', location
        )

    def _respond(self, result: CommandResult) -> Response:
        stored = self._stored(result)
        return Response(stored.body, status=stored.status, headers=stored.headers)


# OpenAPI pieces shared by the command endpoints.

HEADERS = [
    OpenApiParameter(
        "Idempotency-Key",
        {"type": "string", "minLength": 1, "maxLength": 255},
        OpenApiParameter.HEADER,
        description="1..255 chars; the same key and request replays the first response.",
    ),
]  # X-Correlation-ID: every operation's, added by problems.schema.add_response_headers
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": _ETAG.pattern},
    OpenApiParameter.HEADER,
    description='The version you last saw, e.g. "3"; stale → 412.',
)
PROBLEM_JSON = "application/problem+json"
_PROBLEM = OpenApiResponse(
    ProblemSerializer, description="RFC 9457 problem details with a stable code."
)
ERRORS = {(code, PROBLEM_JSON): _PROBLEM for code in (400, 401, 403, 404, 409, 412, 415, 422)}


def responses(success: int) -> dict[Any, Any]:
    described = OpenApiResponse(
        CommandResultSerializer, description="Done; the ETag header carries the version."
    )
    return {success: described, **ERRORS}
