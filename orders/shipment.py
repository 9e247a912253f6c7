"""The Shipment aggregate: the parcel that leaves for one order.

Its life follows the order's: CREATED once the order's stock is reserved, SHIPPED when
the order ships, CANCELLED when the order is cancelled first. Its reference (CHR...) is
Chronicle's own, the label's id; the tracking number is the carrier's, recorded by the
order's ``OrderShipped``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from eventstore.aggregate import Aggregate
from orders.events import ShipmentCancelled, ShipmentCreated, ShipmentLine, ShipmentShipped
from orders.status import ShipmentStatus

CREATED, SHIPPED, CANCELLED = ShipmentStatus.STATES


def shipment_id_for(order_id: UUID) -> UUID:
    """One shipment per order, with an id any retry derives the same way."""
    return uuid.uuid5(order_id, "shipment")


def shipment_reference_for(shipment_id: UUID) -> str:
    return f"CHR{shipment_id.hex[:12].upper()}"


@dataclass
class Shipment(Aggregate):
    stream_type: ClassVar[str] = "shipment"
    snapshot_schema_version: ClassVar[int] = 2  # 2: reference, no longer tracking_number

    order_id: UUID | None = None
    reference: str = ""
    lines: tuple[ShipmentLine, ...] = ()
    status: str = ""

    @classmethod
    def create(
        cls, shipment_id: UUID, *, order_id: UUID, lines: tuple[ShipmentLine, ...]
    ) -> Shipment:
        shipment = cls(id=shipment_id)
        shipment._record(
            ShipmentCreated(shipment_id, order_id, shipment_reference_for(shipment_id), lines)
        )
        return shipment

    def ship(self) -> None:
        """The parcel leaves with its order; repeating it changes nothing."""
        if self.status == CREATED:
            self._record(ShipmentShipped(self.id, self.order_id or self.id))

    def cancel(self, reason: str) -> None:
        if self.status == CREATED:
            self._record(ShipmentCancelled(self.id, self.order_id or self.id, reason))

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError(type(event).__name__)

    @apply.register
    def _created(self, event: ShipmentCreated) -> None:
        self.order_id, self.reference, self.lines = (
            event.order_id,
            event.shipment_reference,
            event.lines,
        )
        self.status = CREATED

    @apply.register
    def _shipped(self, event: ShipmentShipped) -> None:
        self.status = SHIPPED

    @apply.register
    def _cancelled(self, event: ShipmentCancelled) -> None:
        self.status = CANCELLED
