"""How the write side's refusals read over HTTP."""

from __future__ import annotations

from eventstore.errors import ConcurrencyError, OrderingConflict, StreamArchived, StreamNotFound
from eventstore.shredding import SubjectForgotten
from orders.errors import DomainError
from problems import NotFound, Problem
from problems.catalogue import BY_CODE
from problems.handler import translate


def domain_problem(error: DomainError) -> Problem:
    """Status and title are the code's in ``problems.catalogue``; a refusal whose code
    is missing there is a 409 "Conflict" (and a failing test)."""
    entry = BY_CODE.get(error.code)
    return Problem(
        error.detail,
        status=entry.status if entry else 409,
        code=error.code,
        title=entry.title if entry else "Conflict",
        **error.extra,
    )


def register() -> None:
    translate(DomainError, domain_problem)
    translate(StreamNotFound, _stream_not_found)
    translate(StreamArchived, _archived)
    # A personal field to encrypt for a customer whose key is destroyed.
    translate(SubjectForgotten, _forgotten)
    # Both are retryable: the handlers retried them, and the resource kept changing.
    translate(ConcurrencyError, _kept_changing)
    translate(OrderingConflict, _kept_changing)


def _forgotten(error: SubjectForgotten) -> Problem:
    entry = BY_CODE["customer_forgotten"]
    return Problem(
        "the customer was forgotten", status=entry.status, code=entry.code, title=entry.title
    )


def _archived(error: StreamArchived) -> Problem:
    entry = BY_CODE["stream_archived"]
    kind, _, key = error.stream_id.partition("-")
    return Problem(
        f"{kind} {key} is archived and takes no more commands",
        status=entry.status,
        code=entry.code,
        title=entry.title,
    )


def _stream_not_found(error: StreamNotFound) -> Problem:
    """``product-<id>`` reads "no product <id>", as every 404 does (problems.handler)."""
    kind, _, key = error.stream_id.partition("-")
    return NotFound(f"no {kind} {key}" if key else f"no stream {error.stream_id}")


def _kept_changing(error: Exception) -> Problem:
    return Problem(
        "the resource kept changing while this command ran; retry",
        status=409,
        code="concurrency_conflict",
        title="Concurrency conflict",
    )
