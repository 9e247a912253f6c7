"""RFC 9457 problem details: the one error format of Chronicle's HTTP API.

Application code raises ``Problem`` (or a subclass); ``problems.handler`` turns it,
and every DRF exception, into ``application/problem+json`` with a stable ``code``.
"""

from __future__ import annotations

from typing import Any

from problems.catalogue import type_uri

CONTENT_TYPE = "application/problem+json"


def problem_body(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem document; plain data, so layers below Django and DRF can answer with it.
    Its ``type`` is the code's page in ``problems.catalogue``."""
    return {
        "type": type_uri(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


class Problem(Exception):
    """An error a client can act on; ``code`` is stable, ``detail`` is for people."""

    status = 400
    code = "invalid_request"
    title = "Invalid request"

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        title: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or (title or self.title)
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title
        self.extra = extra


class NotFound(Problem):
    status = 404
    code = "not_found"
    title = "Not found"
