"""The Inventory aggregate: one stream per product, its own consistency boundary for stock.

Reservations are kept per order, so reserving, releasing or issuing for an order
twice changes nothing the second time: the fulfillment process may safely repeat
a step after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from eventstore.aggregate import Aggregate
from orders.bounds import MAX_STOCK_ON_HAND, MAX_STOCK_RECEIPT
from orders.errors import InsufficientStock, InvalidCommand, NotReserved, StockTooLarge
from orders.events import StockIssued, StockReceived, StockReleased, StockReserved


@dataclass
class Inventory(Aggregate):
    """Keyed by the product id: ``inventory-<product id>``."""

    stream_type: ClassVar[str] = "inventory"

    on_hand: int = 0
    reserved: int = 0
    # Quantity reserved per order.
    reservations: dict[UUID, int] = field(default_factory=dict)
    # Orders whose reservation ended (released or issued): never reserved again.
    settled: set[UUID] = field(default_factory=set)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def can_supply(self, quantity: int) -> bool:
        return self.available >= quantity

    def reservation_for(self, order_id: UUID) -> int | None:
        return self.reservations.get(order_id)

    def receive(self, quantity: int) -> None:
        if quantity <= 0:
            raise InvalidCommand(f"received stock must be positive, not {quantity}")
        if quantity > MAX_STOCK_RECEIPT:
            raise StockTooLarge(f"a delivery is at most {MAX_STOCK_RECEIPT} units, not {quantity}")
        if self.on_hand + quantity > MAX_STOCK_ON_HAND:
            raise StockTooLarge(
                f"at most {MAX_STOCK_ON_HAND} units may be on hand; {self.on_hand} are"
            )
        self._record(
            StockReceived(product_id=self.id, quantity=quantity, on_hand=self.on_hand + quantity)
        )

    def reserve(self, order_id: UUID, quantity: int) -> None:
        if self.reservation_for(order_id) is not None or order_id in self.settled:
            return
        if not self.can_supply(quantity):
            raise InsufficientStock(
                f"{self.available} available, {quantity} asked", products=[str(self.id)]
            )
        self._record(StockReserved(self.id, order_id, quantity, self.reserved + quantity))

    def release(self, order_id: UUID) -> None:
        reservation = self.reservation_for(order_id)
        if reservation is not None:
            self._record(StockReleased(self.id, order_id, reservation, self.reserved - reservation))

    def issue(self, order_id: UUID) -> None:
        """Reserved stock leaves with a shipment; stock never reserved is never shipped."""
        if order_id in self.settled:
            return
        reservation = self.reservation_for(order_id)
        if reservation is None:
            raise NotReserved(f"no stock of product {self.id} is reserved for order {order_id}")
        self._record(
            StockIssued(
                self.id,
                order_id,
                reservation,
                self.on_hand - reservation,
                self.reserved - reservation,
            )
        )

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError(type(event).__name__)

    @apply.register
    def _received(self, event: StockReceived) -> None:
        self.on_hand = event.on_hand

    @apply.register
    def _reserved(self, event: StockReserved) -> None:
        self.reservations[event.order_id] = event.quantity
        self.reserved = event.reserved

    @apply.register
    def _released(self, event: StockReleased) -> None:
        self._settle(event.order_id, event.reserved)

    @apply.register
    def _issued(self, event: StockIssued) -> None:
        self.on_hand = event.on_hand
        self._settle(event.order_id, event.reserved)

    def _settle(self, order_id: UUID, reserved: int) -> None:
        self.reservations.pop(order_id, None)
        self.settled.add(order_id)
        self.reserved = reserved
