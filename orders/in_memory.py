"""A unit of work of plain dicts, for testing the handlers' rules without a database.

It keeps in memory what the event-store wiring keeps in the database: each
aggregate as last saved (copied in and out, so a handler's unsaved changes never
leak), the events saved, in order, SKU and email claims and an order-number counter. ``run``
keeps all of a command, before-commit work included, or, when anything raises,
none of it. A save expects the version the aggregate was loaded at, as the store
does (``ConcurrencyError``; ``VersionMismatch`` under If-Match), but nothing is
retried: nothing runs beside it.

Not modelled: event ids derived from the command id (the same command sent twice
is applied twice), metadata, snapshots and temporal reads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from uuid import UUID

from eventstore.aggregate import Aggregate
from eventstore.errors import ConcurrencyError, StreamNotFound
from eventstore.events import DomainEvent
from eventstore.store import NO_STREAM
from orders.commands import Command
from orders.customer import Customer
from orders.emails import normalised
from orders.errors import VersionMismatch
from orders.inventory import Inventory
from orders.models import OrderNumber
from orders.order import Order
from orders.product import Product
from orders.shipment import Shipment
from orders.unit_of_work import (
    A,
    Aggregates,
    CommandResult,
    Handler,
    UnitOfWork,
    duplicate_email,
    duplicate_sku,
)


@dataclass
class Memory:
    """Everything an ``InMemoryUnitOfWork`` holds; a command's run restores it on failure."""

    aggregates: dict[str, Aggregate] = field(default_factory=dict)  # by stream id
    positions: dict[str, int] = field(default_factory=dict)  # a stream's last event
    events: list[DomainEvent] = field(default_factory=list)  # position n is events[n - 1]
    skus: dict[str, UUID] = field(default_factory=dict)
    emails: dict[UUID, str] = field(default_factory=dict)  # customer → normalised email
    order_numbers: int = 0


class InMemoryAggregates(Aggregates[A]):
    def __init__(self, aggregate_class: type[A], owner: InMemoryUnitOfWork) -> None:
        self.aggregate_class = aggregate_class
        self.owner = owner

    def exists(self, aggregate_id: UUID) -> bool:
        return self._stream_id(aggregate_id) in self.owner.memory.aggregates

    def save(self, aggregate: A, cmd: Command) -> CommandResult:
        memory, stream_id = self.owner.memory, aggregate.stream_id
        expected = aggregate.loaded_version
        events = aggregate.collect_pending()
        if not events:
            return CommandResult(
                aggregate.id, aggregate.version, memory.positions.get(stream_id, 0)
            )
        stored = memory.aggregates.get(stream_id)
        actual = stored.version if stored is not None else 0
        if actual != expected:
            raise ConcurrencyError(stream_id, expected or NO_STREAM, actual)
        memory.events.extend(events)
        memory.aggregates[stream_id] = copy.deepcopy(aggregate)
        memory.positions[stream_id] = len(memory.events)
        return CommandResult(aggregate.id, aggregate.version, len(memory.events))

    def _load(self, aggregate_id: UUID) -> A:
        stream_id = self._stream_id(aggregate_id)
        stored = self.owner.memory.aggregates.get(stream_id)
        if stored is None:
            raise StreamNotFound(stream_id)
        assert isinstance(stored, self.aggregate_class)
        return copy.deepcopy(stored)

    def _stream_id(self, aggregate_id: UUID) -> str:
        return self.aggregate_class.stream_id_for(aggregate_id)


class InMemoryUnitOfWork(UnitOfWork):
    """Give it to ``orders.handlers.execute``; read the outcome back through its
    ``Aggregates`` or ``memory.events``."""

    def __init__(self) -> None:
        super().__init__()
        self.memory = Memory()
        self.orders = InMemoryAggregates(Order, self)
        self.customers = InMemoryAggregates(Customer, self)
        self.products = InMemoryAggregates(Product, self)
        self.inventories = InMemoryAggregates(Inventory, self)
        self.shipments = InMemoryAggregates(Shipment, self)

    def run(self, command: Command, handle: Handler) -> CommandResult:
        after = self._take_before_commit()
        before = copy.deepcopy(self.memory)
        try:
            return self._attempt(command, handle, after)
        except ConcurrencyError as conflict:
            self.memory = before
            if command.expected_version is None:
                raise
            raise VersionMismatch(conflict.actual, command.expected_version) from conflict
        except BaseException:
            self.memory = before
            raise

    def claim_sku(self, sku: str, product_id: UUID) -> None:
        if sku in self.memory.skus:
            raise duplicate_sku(sku)
        self.memory.skus[sku] = product_id

    def claim_email(self, email: str, customer_id: UUID) -> None:
        claimed = normalised(email)
        others = (e for holder, e in self.memory.emails.items() if holder != customer_id)
        if claimed in others:
            raise duplicate_email()
        self.memory.emails[customer_id] = claimed

    def order_ids_of(self, customer_id: UUID) -> list[UUID]:
        return [
            order.id
            for order in self.memory.aggregates.values()
            if isinstance(order, Order) and order.customer_id == customer_id
        ]

    def holds_plaintext(self, customer_id: UUID, order_ids: list[UUID]) -> bool:
        return False  # nothing is stored at all

    def scrub_customer(self, customer_id: UUID, order_ids: list[UUID]) -> None:
        self.memory.emails.pop(customer_id, None)

    def allocate_order_number(self) -> str:
        self.memory.order_numbers += 1
        return OrderNumber.label(self.memory.order_numbers)
