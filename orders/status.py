"""An order's status vocabulary, stated once: the statuses of its life (PENDING →
PAID → SHIPPED, or CANCELLED), the states of its fulfillment (a field of its own
beside the status: how far the goods are), its shipment's statuses, and which event
sets which status.

The Order aggregate moves by these words and the read side shows them; plain
Python, no Django (the domain's modules import none).
"""

from __future__ import annotations

from typing import Final

from orders.events import (
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
)

PENDING: Final = "PENDING"
PAID: Final = "PAID"
SHIPPED: Final = "SHIPPED"
CANCELLED: Final = "CANCELLED"
STATUSES: Final = (PENDING, PAID, SHIPPED, CANCELLED)


class Fulfillment:
    """How far an order's goods are; a field of its own beside the status."""

    AWAITING_PAYMENT: Final = "awaiting_payment"
    RESERVING: Final = "reserving"
    READY_TO_SHIP: Final = "ready_to_ship"
    SHIPPED: Final = "shipped"
    REFUNDED: Final = "refunded"
    STATES: Final = (AWAITING_PAYMENT, RESERVING, READY_TO_SHIP, SHIPPED, REFUNDED)


class ShipmentStatus:
    """Where an order's shipment is; its life follows the order's."""

    CREATED: Final = "CREATED"  # the order's stock is reserved
    SHIPPED: Final = "SHIPPED"  # it left with the order
    CANCELLED: Final = "CANCELLED"  # with the order, before it shipped
    STATES: Final = (CREATED, SHIPPED, CANCELLED)


# The event types that set an order's status; no other event changes it.
STATUS_SET_BY: Final = {
    OrderCreated.event_type: PENDING,
    OrderPaid.event_type: PAID,
    OrderShipped.event_type: SHIPPED,
    OrderCancelled.event_type: CANCELLED,
}
