"""The unit of work a command handler runs in: its repositories, its claims, its transaction.

A handler sees only ``UnitOfWork``: one ``Aggregates`` per aggregate class (load,
load_or_new, exists, save), a SKU claim, an email claim and an order-number allocation. ``run``
calls the handler and commits what it saved together with the work registered by
``before_commit`` (the command API's idempotency record, a new customer's login),
or none of it.

Two implementations: ``EventStoreUnitOfWork`` here, the default wiring (the event
store and Django's database), and ``InMemoryUnitOfWork`` (``orders.in_memory``), of
plain dicts, for testing the rules without a database.

The event-store wiring runs each command in one transaction, but for a handler whose
only write is its one save (``orders.handlers.single_write``) with no before-commit
work, where the store's append is one statement atomic alone (PostgreSQL): that runs
outside any transaction, its reads first and then the guarded INSERT, which commits
by itself (two round trips of four: no BEGIN, no COMMIT). The reads lose nothing by
it: under READ COMMITTED each statement sees what had committed when it began,
inside a transaction or not, and the append's expected version refuses a stream that
moved since its load. Without If-Match, a
concurrency conflict reloads and retries, so concurrent commands the rules allow
all succeed. The store may also refuse an append it cannot keep in the stream's
version order (``OrderingConflict``): that is retried in a fresh transaction, with
or without If-Match, since the stream's version was not the problem.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from django.db import IntegrityError, connection, transaction

from config import tracing
from eventstore import recorders, store
from eventstore.aggregate import Aggregate
from eventstore.errors import ConcurrencyError, OrderingConflict, StreamNotFound
from eventstore.repository import Repository, read_together
from orders import forgetting, repositories
from orders.commands import Command
from orders.customer import Customer
from orders.emails import email_key
from orders.errors import DuplicateEmail, DuplicateSku, VersionMismatch
from orders.inventory import Inventory
from orders.models import EmailClaim, OrderNumber, SkuClaim
from orders.order import Order
from orders.product import Product
from orders.shipment import Shipment

MAX_ATTEMPTS = 8

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class CommandResult:
    """What a client needs to follow up: the aggregate, its version and the last position."""

    id: UUID
    version: int
    position: int


Handler = Callable[[Any, "UnitOfWork"], CommandResult]
BeforeCommit = Callable[[CommandResult], None]


class Aggregates(ABC, Generic[A]):
    """One aggregate class's repository, as a handler sees it."""

    aggregate_class: type[A]

    def load(self, aggregate_id: UUID, expected_version: int | None = None) -> A:
        """The aggregate (``StreamNotFound`` if it has no history), at ``expected_version``
        if one is given (``VersionMismatch`` if not)."""
        return _at(self._load(aggregate_id), expected_version)

    def load_or_new(self, aggregate_id: UUID, expected_version: int | None = None) -> A:
        """As ``load``, but an id with no history gives a fresh aggregate at version 0."""
        try:
            aggregate = self._load(aggregate_id)
        except StreamNotFound:
            aggregate = self.aggregate_class(id=aggregate_id)
        return _at(aggregate, expected_version)

    @abstractmethod
    def exists(self, aggregate_id: UUID) -> bool: ...

    @abstractmethod
    def save(self, aggregate: A, cmd: Command) -> CommandResult:
        """Store what ``aggregate`` recorded on behalf of ``cmd``, expecting the version it
        was loaded at (``ConcurrencyError`` if the stream moved); having recorded nothing,
        answer where its stream stands."""

    @abstractmethod
    def _load(self, aggregate_id: UUID) -> A: ...


class UnitOfWork(ABC):
    """What a handler may touch, and the transaction it runs in (``run``)."""

    orders: Aggregates[Order]
    customers: Aggregates[Customer]
    products: Aggregates[Product]
    inventories: Aggregates[Inventory]
    shipments: Aggregates[Shipment]

    def __init__(self) -> None:
        self._before_commit: list[BeforeCommit] = []

    def before_commit(self, work: BeforeCommit) -> None:
        """Have the next ``run`` call ``work(result)`` after its handler saved, inside its
        transaction: the work commits with the events, or neither does."""
        self._before_commit.append(work)

    def read_ahead(self, *wanted: tuple[Aggregates[Any], UUID]) -> None:
        """A hint: the handler is about to load (or ask whether there is) each
        ``(aggregates, id)``; a wiring may read them all at once for those calls. A view
        may read ahead before ``run`` (its access check): the first attempt uses that
        read, whose version the append's guard checks like any load's, and a retry reads
        afresh. Nothing changes but the cost."""
        return None

    @abstractmethod
    def run(self, command: Command, handle: Handler) -> CommandResult:
        """``handle(command, self)`` and the before-commit work, committed together."""

    @abstractmethod
    def claim_sku(self, sku: str, product_id: UUID) -> None:
        """Reserve ``sku`` for ``product_id``; ``DuplicateSku`` if another product has it."""

    @abstractmethod
    def claim_email(self, email: str, customer_id: UUID) -> None:
        """Make ``email`` the customer's claim, releasing the one it held;
        ``DuplicateEmail`` if another customer has it, in any case."""

    @abstractmethod
    def order_ids_of(self, customer_id: UUID) -> list[UUID]:
        """Every order the customer placed."""

    @abstractmethod
    def holds_plaintext(self, customer_id: UUID, order_ids: list[UUID]) -> bool:
        """Whether any personal field of theirs is stored unencrypted."""

    @abstractmethod
    def scrub_customer(self, customer_id: UUID, order_ids: list[UUID]) -> None:
        """Destroy the customer's data key and what else holds their data
        (``orders.forgetting.scrub``), in the command's transaction."""

    @abstractmethod
    def allocate_order_number(self) -> str:
        """An ORD-000123 number no other order has (a refused command may give it back)."""

    def _take_before_commit(self) -> list[BeforeCommit]:
        work, self._before_commit = self._before_commit, []
        return work

    def _attempt(
        self, command: Command, handle: Handler, after: list[BeforeCommit]
    ) -> CommandResult:
        result = handle(command, self)
        for work in after:
            work(result)
        return result


def duplicate_sku(sku: str) -> DuplicateSku:
    return DuplicateSku(f"a product with sku {sku!r} exists already")


def duplicate_email() -> DuplicateEmail:
    return DuplicateEmail("another customer has this email address")


def _at(aggregate: A, expected_version: int | None) -> A:
    if expected_version is not None and expected_version != aggregate.version:
        raise VersionMismatch(aggregate.version, expected_version)
    return aggregate


# The default wiring: the event store and Django's database.


class EventStoreAggregates(Aggregates[A]):
    """An event-sourced ``Repository``; saves carry the command's id and metadata."""

    def __init__(self, repository: Repository[A], unit_of_work: EventStoreUnitOfWork) -> None:
        self.repository = repository
        self.unit_of_work = unit_of_work
        self.aggregate_class = repository.aggregate_class
        # What the unit of work read ahead in this attempt: each id's stream read, for
        # ``repository.build`` (a fresh aggregate at every load).
        self.ahead: dict[UUID, tuple[store.Snapshot | None, list[store.RecordedEvent]]] = {}

    def exists(self, aggregate_id: UUID) -> bool:
        read = self.ahead.get(aggregate_id)
        if read is not None:
            snapshot, events = read
            return snapshot is not None or bool(events)
        return self.repository.exists(aggregate_id)

    def save(self, aggregate: A, cmd: Command) -> CommandResult:
        metadata: dict[str, object] = {
            "user_id": cmd.user_id,
            "command": type(cmd).__name__,
            "issued_at": cmd.issued_at.isoformat(),
        }
        if cmd.correlation_id_given is not None:
            metadata["correlation_id_given"] = cmd.correlation_id_given
        # The trace that recorded it, when one is being recorded.
        trace_id = tracing.current_trace_id()
        if trace_id is not None:
            metadata["trace_id"] = trace_id
        self.ahead.pop(aggregate.id, None)  # a later load reads what this saves
        self.unit_of_work.writing(saves=True)
        saved = self.repository.save(
            aggregate,
            command_id=cmd.command_id,
            metadata=metadata,
            correlation_id=cmd.correlation_id,
            causation_id=cmd.causation_id or cmd.command_id,
        )
        if saved is None:
            last = store.read_stream(aggregate.stream_id, from_version=aggregate.version)[-1]
            return CommandResult(aggregate.id, aggregate.version, last.position)
        return CommandResult(aggregate.id, saved.version, saved.position)

    def _load(self, aggregate_id: UUID) -> A:
        read = self.ahead.get(aggregate_id)
        if read is not None:
            return self.repository.build(aggregate_id, *read)
        return self.repository.load(aggregate_id)


class EventStoreUnitOfWork(UnitOfWork):
    """Each attempt one database transaction; conflicts retried up to ``MAX_ATTEMPTS``."""

    def __init__(self) -> None:
        super().__init__()
        self.orders = EventStoreAggregates(repositories.orders, self)
        self.customers = EventStoreAggregates(repositories.customers, self)
        self.products = EventStoreAggregates(repositories.products, self)
        self.inventories = EventStoreAggregates(repositories.inventories, self)
        self.shipments = EventStoreAggregates(repositories.shipments, self)
        # While a single-write handler runs outside a transaction: whether it saved.
        self._outside: bool | None = None

    def writing(self, *, saves: bool = False) -> None:
        """Called before each write: outside a transaction only the one save may come."""
        if self._outside is None:
            return
        if self._outside or not saves:
            raise RuntimeError(
                "a handler marked single_write wrote more than its one save; "
                "it must run in a transaction (remove the mark)"
            )
        self._outside = True

    def read_ahead(self, *wanted: tuple[Aggregates[Any], UUID]) -> None:
        """One query for all of them (``eventstore.repository.read_together``)."""
        pairs = [
            (aggregates, aggregate_id)
            for aggregates, aggregate_id in dict.fromkeys(wanted)
            if isinstance(aggregates, EventStoreAggregates) and aggregate_id not in aggregates.ahead
        ]
        if not pairs:
            return
        reads = read_together([(aggregates.repository, i) for aggregates, i in pairs])
        for (aggregates, aggregate_id), read in zip(pairs, reads, strict=True):
            aggregates.ahead[aggregate_id] = read

    def run(self, command: Command, handle: Handler) -> CommandResult:
        after = self._take_before_commit()
        try:
            return self._run(command, handle, after)
        finally:
            self._forget_read_ahead()

    def _forget_read_ahead(self) -> None:
        for aggregates in (
            self.orders,
            self.customers,
            self.products,
            self.inventories,
            self.shipments,
        ):
            if isinstance(aggregates, EventStoreAggregates):
                aggregates.ahead.clear()

    def _run(self, command: Command, handle: Handler, after: list[BeforeCommit]) -> CommandResult:
        outside = self._runs_outside_a_transaction(handle, after)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if attempt > 1:
                self._forget_read_ahead()  # a retry reads afresh
            try:
                if outside:
                    self._outside = False
                    try:
                        return self._attempt(command, handle, after)
                    finally:
                        self._outside = None
                with transaction.atomic():
                    return self._attempt(command, handle, after)
            except OrderingConflict:
                if attempt == MAX_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0, 0.005 * attempt))
            except ConcurrencyError as conflict:
                if command.expected_version is not None:
                    raise VersionMismatch(conflict.actual, command.expected_version) from conflict
                if attempt == MAX_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0, 0.005 * attempt))
        raise AssertionError("unreachable")

    @staticmethod
    def _runs_outside_a_transaction(handle: Handler, after: list[BeforeCommit]) -> bool:
        return (
            getattr(handle, "single_write", False)
            and not after
            and not connection.in_atomic_block  # a caller's: the attempt is a savepoint in it
            and recorders.for_connection(connection).single_statement_appends
        )

    def claim_sku(self, sku: str, product_id: UUID) -> None:
        self.writing()
        try:
            with transaction.atomic():  # a savepoint: the refusal must not spoil the transaction
                SkuClaim.objects.create(sku=sku, product_id=product_id)
        except IntegrityError:
            raise duplicate_sku(sku) from None

    def claim_email(self, email: str, customer_id: UUID) -> None:
        self.writing()
        key = email_key(email)
        try:
            with transaction.atomic():  # a savepoint, as for the sku
                if not EmailClaim.objects.filter(customer_id=customer_id).update(key=key):
                    EmailClaim.objects.create(key=key, customer_id=customer_id)
        except IntegrityError:  # the key is another customer's, or was claimed meanwhile
            raise duplicate_email() from None

    def order_ids_of(self, customer_id: UUID) -> list[UUID]:
        return forgetting.order_ids_of(customer_id)

    def holds_plaintext(self, customer_id: UUID, order_ids: list[UUID]) -> bool:
        return forgetting.holds_plaintext(customer_id, order_ids)

    def scrub_customer(self, customer_id: UUID, order_ids: list[UUID]) -> None:
        self.writing()
        forgetting.scrub(customer_id, order_ids)

    def allocate_order_number(self) -> str:
        # A refused command gives its number back on SQLite (a row of its transaction)
        # and leaves a gap on PostgreSQL (a sequence's value, no row: it writes nothing,
        # so a single-write handler may take one outside a transaction), never a
        # duplicate; nothing another command waits for.
        return OrderNumber.allocate()
