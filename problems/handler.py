"""Map every error raised under /api/ to ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from problems import CONTENT_TYPE, Problem, problem_body

_DRF_CODES: list[tuple[type[Exception], int, str, str]] = [
    (exceptions.NotAuthenticated, 401, "not_authenticated", "Authentication required"),
    (exceptions.AuthenticationFailed, 401, "not_authenticated", "Authentication required"),
    (exceptions.PermissionDenied, 403, "permission_denied", "Permission denied"),
    (DjangoPermissionDenied, 403, "permission_denied", "Permission denied"),
    (exceptions.NotFound, 404, "not_found", "Not found"),
    (Http404, 404, "not_found", "Not found"),
    (exceptions.MethodNotAllowed, 405, "method_not_allowed", "Method not allowed"),
    (exceptions.NotAcceptable, 406, "not_acceptable", "Not acceptable"),
    (exceptions.UnsupportedMediaType, 415, "unsupported_media_type", "Unsupported media type"),
    (exceptions.ParseError, 400, "invalid_request", "Malformed request body"),
    (exceptions.ValidationError, 400, "invalid_request", "Invalid request"),
    (exceptions.Throttled, 429, "throttled", "Too many requests"),
]


class ProblemResponse(Response):
    """Rendered as JSON whatever renderer the view negotiated: the schema view's YAML
    or the docs' HTML would otherwise write the problem in their own format."""

    @property
    def rendered_content(self) -> Any:
        self.accepted_renderer = JSONRenderer()
        self.accepted_media_type = CONTENT_TYPE
        return super().rendered_content


def problem_response(status: int, code: str, title: str, detail: str, **extra: Any) -> Response:
    body = problem_body(status, code, title, detail, **extra)
    return ProblemResponse(body, status=status, content_type=CONTENT_TYPE)


_translations: list[tuple[type[Exception], Callable[[Any], Problem]]] = []


def translate(exception_class: type[Exception], to_problem: Callable[[Any], Problem]) -> None:
    """Teach the handler one application error (apps register theirs in ``ready``)."""
    _translations.append((exception_class, to_problem))


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    for exception_class, to_problem in _translations:
        if isinstance(exc, exception_class):
            exc = to_problem(exc)
            break
    if isinstance(exc, Problem):
        return problem_response(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError:
        return problem_response(
            503,
            "database_unavailable",
            "Database unavailable",
            "The database cannot be reached; retry later.",
        )
    for cls, status, code, title in _DRF_CODES:
        if isinstance(exc, cls):
            return _drf_problem(exc, status, code, title)
    return None


def _drf_problem(exc: Exception, status: int, code: str, title: str) -> Response:
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = list(flatten_errors(exc.detail))
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in extra["errors"][:5]) or title
    else:
        detail = str(getattr(exc, "detail", "") or exc or title)
    response = problem_response(status, code, title, detail, **extra)
    if isinstance(exc, exceptions.APIException):
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            response["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait:
            response["Retry-After"] = str(int(wait))
    return response


def flatten_errors(detail: Any, prefix: str = ""):
    """DRF's nested error detail as ``{field, message}`` with dotted paths."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = (
                prefix if key == "non_field_errors" else f"{prefix}.{key}" if prefix else str(key)
            )
            yield from flatten_errors(value, name)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            for item in detail:
                yield {"field": prefix, "message": str(item)}
        else:
            for index, item in enumerate(detail):
                if item:
                    yield from flatten_errors(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield {"field": prefix, "message": str(detail)}


def not_found_body(detail: str) -> dict[str, Any]:
    """Every 404's document. Its detail says what is missing as "no <what> <which>"
    (``no order 7c1e…``, ``no resource at /api/x``), lower case, no full stop."""
    return problem_body(404, "not_found", "Not found", detail)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ (and non-UUID ids) answer like every other error.

    Exempt from CSRF, as DRF's views are: a POST to an unknown path is a 404 problem,
    not Django's HTML 403 page for a missing CSRF token."""
    return JsonResponse(
        not_found_body(f"no resource at {request.path}"), status=404, content_type=CONTENT_TYPE
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 handler: the API's problem document under /api/ and for clients
    that do not ask for HTML; Django's page for browsers elsewhere."""
    wants_html = "text/html" in request.headers.get("Accept", "")
    if wants_html and not request.path.startswith("/api/"):
        return defaults.page_not_found(request, exception or Http404())
    return JsonResponse(
        not_found_body(f"no resource at {request.path}"), status=404, content_type=CONTENT_TYPE
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: a problem document under /api/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        body = problem_body(
            500, "server_error", "Server error", "Something went wrong on our side."
        )
        return JsonResponse(body, status=500, content_type=CONTENT_TYPE)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler (e.g. a body over the upload limit): problems under /api/."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception or Exception("bad request"))
    if isinstance(exception, RequestDataTooBig):
        body = problem_body(413, "payload_too_large", "Payload too large", str(exception))
        return JsonResponse(body, status=413, content_type=CONTENT_TYPE)
    body = problem_body(400, "invalid_request", "Invalid request", "The request could not be read.")
    return JsonResponse(body, status=400, content_type=CONTENT_TYPE)
