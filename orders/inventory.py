"""The Inventory aggregate: one stream per product, its own consistency boundary for stock."""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatchmethod
from typing import ClassVar

from eventstore.aggregate import Aggregate
from orders.errors import InvalidCommand
from orders.events import StockReceived


@dataclass
class Inventory(Aggregate):
    """Keyed by the product id: ``inventory-<product id>``."""

    stream_type: ClassVar[str] = "inventory"

    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def receive(self, quantity: int) -> None:
        if quantity <= 0:
            raise InvalidCommand(f"received stock must be positive, not {quantity}")
        self._record(
            StockReceived(product_id=self.id, quantity=quantity, on_hand=self.on_hand + quantity)
        )

    def can_supply(self, quantity: int) -> bool:
        return self.available >= quantity

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError(type(event).__name__)

    @apply.register
    def _received(self, event: StockReceived) -> None:
        self.on_hand = event.on_hand
