"""The Shipment aggregate: the parcel that leaves for one order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from eventstore.aggregate import Aggregate
from orders.events import ShipmentCancelled, ShipmentCreated, ShipmentLine

CREATED, CANCELLED = "CREATED", "CANCELLED"


def shipment_id_for(order_id: UUID) -> UUID:
    """One shipment per order, with an id any retry derives the same way."""
    return uuid.uuid5(order_id, "shipment")


def tracking_number_for(shipment_id: UUID) -> str:
    return f"CHR{shipment_id.hex[:12].upper()}"


@dataclass
class Shipment(Aggregate):
    stream_type: ClassVar[str] = "shipment"

    order_id: UUID | None = None
    tracking_number: str = ""
    lines: tuple[ShipmentLine, ...] = ()
    status: str = ""

    @classmethod
    def create(
        cls, shipment_id: UUID, *, order_id: UUID, lines: tuple[ShipmentLine, ...]
    ) -> Shipment:
        shipment = cls(id=shipment_id)
        shipment._record(
            ShipmentCreated(shipment_id, order_id, tracking_number_for(shipment_id), lines)
        )
        return shipment

    def cancel(self, reason: str) -> None:
        if self.status == CREATED:
            self._record(ShipmentCancelled(self.id, self.order_id or self.id, reason))

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError(type(event).__name__)

    @apply.register
    def _created(self, event: ShipmentCreated) -> None:
        self.order_id, self.tracking_number, self.lines = (
            event.order_id,
            event.tracking_number,
            event.lines,
        )
        self.status = CREATED

    @apply.register
    def _cancelled(self, event: ShipmentCancelled) -> None:
        self.status = CANCELLED
