"""How the write side's refusals read over HTTP."""

from __future__ import annotations

from eventstore.errors import ConcurrencyError, OrderingConflict, StreamNotFound
from orders.errors import DomainError
from problems import NotFound, Problem
from problems.handler import translate

STATUS_BY_CODE = {"not_found": 404, "invalid_request": 400, "version_mismatch": 412}
TITLES = {
    "order_not_pending": "Order is not pending",
    "invalid_transition": "Invalid transition",
    "too_many_items": "Too many items",
    "order_total_too_large": "Order total too large",
    "quantity_too_large": "Quantity too large",
    "price_too_large": "Price too large",
    "stock_too_large": "Stock too large",
    "last_item": "Last item",
    "insufficient_stock": "Insufficient stock",
    "duplicate_sku": "Duplicate SKU",
    "duplicate_email": "Duplicate email",
    "duplicate_username": "Duplicate username",
    "not_ready_to_ship": "Not ready to ship",
    "version_mismatch": "Version mismatch",
    "not_found": "Not found",
    "invalid_request": "Invalid request",
}


def domain_problem(error: DomainError) -> Problem:
    return Problem(
        error.detail,
        status=STATUS_BY_CODE.get(error.code, 409),
        code=error.code,
        title=TITLES.get(error.code, "Conflict"),
        **error.extra,
    )


def register() -> None:
    translate(DomainError, domain_problem)
    translate(StreamNotFound, _stream_not_found)
    # Both are retryable: the handlers retried them, and the resource kept changing.
    translate(ConcurrencyError, _kept_changing)
    translate(OrderingConflict, _kept_changing)


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
