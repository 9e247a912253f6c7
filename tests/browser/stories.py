"""Event histories for admin tests, written through ``eventstore.store.append``."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from eventstore import store


@dataclass(frozen=True)
class Checkout:
    """One request's events across three streams: placed -> stock reserved -> paid."""

    correlation_id: UUID
    command_id: UUID
    placed: UUID
    reserved: UUID
    paid: UUID
    other_correlation_id: UUID


def record_checkout() -> Checkout:
    correlation_id, command_id = uuid4(), uuid4()
    meta = {"user": "staff", "command_id": str(command_id)}
    placed = store.NewEvent(
        "V1.OrderPlaced",
        {
            "order_id": "order-1",
            "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
            "lines": [{"sku": "TEA-01", "quantity": 2, "unit_price": "4.50"}],
            "total": "9.00",
            "currency": "EUR",
        },
        metadata=meta,
        correlation_id=correlation_id,
        causation_id=command_id,
    )
    reserved = _caused_by(placed, "V1.StockReserved", {"sku": "TEA-01", "quantity": 2})
    paid = _caused_by(reserved, "V1.OrderPaid", {"payment_id": "pay-77", "amount": "9.00"})
    store.append("order-1", "order", [placed], store.NO_STREAM)
    store.append("stock-TEA-01", "stock", [reserved], store.NO_STREAM)
    store.append("order-1", "order", [paid], 1)
    other = uuid4()
    opened = store.NewEvent("V1.CartOpened", {"cart_id": "cart-9"}, correlation_id=other)
    store.append("cart-9", "cart", [opened], store.NO_STREAM)
    return Checkout(
        correlation_id, command_id, placed.event_id, reserved.event_id, paid.event_id, other
    )


def _caused_by(cause: store.NewEvent, event_type: str, data: dict) -> store.NewEvent:
    return store.NewEvent(
        event_type,
        data,
        metadata=dict(cause.metadata),
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
    )
