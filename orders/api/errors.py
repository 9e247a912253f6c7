"""How the write side's refusals read over HTTP."""

from __future__ import annotations

from eventstore.errors import ConcurrencyError, OrderingConflict, StreamNotFound
from eventstore.shredding import SubjectForgotten
from orders.errors import DomainError
from problems import Problem
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
    "already_forgotten": "Already forgotten",
    "open_orders": "Open orders",
    "plaintext_history": "Plaintext history",
    "customer_forgotten": "Customer forgotten",
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
    translate(
        StreamNotFound,
        lambda error: Problem("no such resource", status=404, code="not_found", title="Not found"),
    )
    # A personal field to encrypt for a customer whose key is destroyed.
    translate(
        SubjectForgotten,
        lambda error: Problem(
            "the customer was forgotten",
            status=409,
            code="customer_forgotten",
            title="Customer forgotten",
        ),
    )
    # Both are retryable: the handlers retried them, and the resource kept changing.
    translate(ConcurrencyError, _kept_changing)
    translate(OrderingConflict, _kept_changing)


def _kept_changing(error: Exception) -> Problem:
    return Problem(
        "the resource kept changing while this command ran; retry",
        status=409,
        code="concurrency_conflict",
        title="Concurrency conflict",
    )
