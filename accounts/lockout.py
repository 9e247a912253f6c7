"""Lockout after failed logins: django-axes counts failures in the database, per
username and per client address (``AXES_LOCKOUT_PARAMETERS``), and refuses a login
once either reaches ``AXES_FAILURE_LIMIT`` within ``AXES_COOLOFF_TIME``.

axes checks the count, then the password, then records a failure: under
concurrency many requests could pass the check before any failure is recorded.
``login_lock`` makes the three one step per username and per address.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_message
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

# pg_advisory_xact_lock(int, int): the first number keeps these locks apart from others.
LOCK_CLASS = 0x4C4F47  # "LOG"


@contextmanager
def login_lock(username: str, address: str | None) -> Iterator[None]:
    """A transaction in which no other login of this username or from this address runs.

    PostgreSQL: advisory transaction locks, taken in a fixed order (no deadlock),
    released at commit. They hold no transaction id, so the event log's read horizon
    does not wait on a password check. SQLite: the IMMEDIATE transaction holds the
    database's write lock, which serializes every login (and writer) anyway.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            keys = sorted({_lock_key(f"username:{username}"), _lock_key(f"address:{address}")})
            with connection.cursor() as cursor:
                for key in keys:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, key])
        yield


def _lock_key(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big", signed=True)


def is_locked_out(request: HttpRequest) -> bool:
    """Whether axes refused (or has just locked out) the login of this request."""
    return bool(getattr(request, "axes_locked_out", False))


def seconds_until_unlocked(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """When every count that reached the limit has fallen below it again, as failures
    older than the cool-off drop out (a failure during a lockout is not counted)."""
    limit = get_failure_limit(request, credentials)
    cool_off = get_cool_off(request)
    if cool_off is None:
        return 0
    now = request.axes_attempt_time  # type: ignore[attr-defined]
    unlocked_at = now
    for attempts in AxesProxyHandler.get_implementation().get_user_attempts(request, credentials):
        oldest_first = attempts.order_by("attempt_time")
        rows = list(oldest_first.values_list("attempt_time", "failures_since_start"))
        remaining = sum(failures for _, failures in rows)
        for attempt_time, failures in rows:
            if remaining < limit:
                break
            remaining -= failures
            unlocked_at = max(unlocked_at, attempt_time + cool_off)
    return max(1, math.ceil((unlocked_at - now).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: what a locked-out login through a form (the admin) gets.
    The API's token endpoint answers its own 429 problem; that answer stands."""
    if request.path.startswith("/api/") and original_response is not None:
        return original_response
    response = HttpResponse(get_lockout_message(), status=429, content_type="text/plain")
    wait = seconds_until_unlocked(request, credentials)
    if wait:
        response["Retry-After"] = str(wait)
    return response
