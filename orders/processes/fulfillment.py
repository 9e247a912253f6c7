"""The fulfillment process manager: a paid order gets its stock reserved and a
shipment, or is refunded and cancelled; a cancelled one gives its stock back and its
shipment is cancelled; a shipped one takes its stock out of the warehouse and its
shipment is shipped.

It reacts to ``OrderPaid``, ``OrderCancelled`` and ``OrderShipped`` by sending
commands, each through ``orders.handlers.execute`` in a transaction of its own (no
command touches two aggregates). It is a subscriber: ``orders.processes.runner``
delivers the log to it in the store's safe order, one runner at a time, and
commits what it remembers (``FulfillmentProcess``) with the checkpoint past the
event. It never writes events itself and never reads read models.

Exactly once in effect, however often an event is delivered:

- A command's id is ``uuid5(causing event id, step name)``; the repository derives
  event ids from it, so a step sent again appends nothing.
- Decisions come from the aggregates as they are when the step runs, never from
  this module's table, so a run repeated after a crash between steps decides what
  the first run decided: a line counts as reserved only while its Inventory holds
  a reservation for the order (a released one is never reserved again), and a
  paid order is worked on only while it is still reserving.

Every command carries the causing event's correlation id, and the event's id as
causation id, so the correlation page shows the whole chain.

A step that fails for a reason the flow does not expect parks the order
(``orders.processes.memory``): its later events wait behind the parked one while
other orders flow on; it is tried again with backoff a few times, then only after
``retry``.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID, uuid5

from eventstore.store import RecordedEvent
from orders import commands as c
from orders.errors import InsufficientStock, InvalidTransition
from orders.events import OrderCancelled, OrderPaid, OrderShipped, ShipmentLine
from orders.handlers import CommandResult, execute
from orders.models import FulfillmentProcess as Process
from orders.order import Order
from orders.processes import memory
from orders.processes.memory import Outcome
from orders.repositories import inventories, orders, shipments
from orders.shipment import shipment_id_for, shipment_reference_for
from orders.status import CANCELLED, PAID, Fulfillment

NAME = "fulfillment"
INSUFFICIENT_STOCK = "insufficient_stock"

Remember = Callable[[], None]
Line = tuple[UUID, int]


class StepFailed(Exception):
    """A step's command failed for a reason the flow does not expect."""

    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"{step}: {type(error).__name__}: {error}")
        self.step = step


class Steps:
    """Sends the commands one causing event calls for, named by step."""

    def __init__(self, cause: RecordedEvent) -> None:
        self.cause = cause

    def send(
        self,
        step: str,
        command_class: type[c.Command],
        *,
        expect: tuple[type[Exception], ...] = (),
        **fields: Any,
    ) -> CommandResult:
        """Run the step's command; errors other than ``expect`` become ``StepFailed``."""
        command = command_class(
            command_id=uuid5(self.cause.event_id, step),
            correlation_id=self.cause.correlation_id or self.cause.event_id,
            correlation_id_given=self.cause.metadata.get("correlation_id_given"),
            causation_id=self.cause.event_id,
            **fields,
        )
        try:
            return execute(command)
        except expect:
            raise
        except Exception as error:
            raise StepFailed(step, error) from error


def lines_of(order: Order) -> tuple[Line, ...]:
    return tuple((line.product_id, line.quantity) for line in order.lines)


# Reactions: one per event type, each a handful of steps.


def on_paid(steps: Steps, order: Order) -> Outcome | None:
    """Reserve every line; then a shipment and ready to ship, or release, refund, cancel."""
    lines = lines_of(order)
    if order.status != PAID or order.fulfillment != Fulfillment.RESERVING:
        return _moved_on(order)  # an earlier run finished, or the order was cancelled meanwhile
    for product_id, quantity in lines:
        if not _reserve(steps, order.id, product_id, quantity):
            _release(steps, order.id, lines)
            _cancel_for_want_of_stock(steps, order.id)
            return Outcome(Process.OUT_OF_STOCK, lines)
    shipment_id = shipment_id_for(order.id)
    shipment_lines = tuple(ShipmentLine(product_id, quantity) for product_id, quantity in lines)
    steps.send(
        "create-shipment",
        c.CreateShipment,
        shipment_id=shipment_id,
        order_id=order.id,
        lines=shipment_lines,
    )
    steps.send(
        "mark-ready-to-ship",
        c.MarkOrderReadyToShip,
        order_id=order.id,
        shipment_id=shipment_id,
        shipment_reference=shipment_reference_for(shipment_id),
    )
    return Outcome(Process.READY_TO_SHIP, lines, shipment_id)


def on_cancelled(steps: Steps, order: Order) -> Outcome | None:
    """A paid order gives its stock back and its shipment is cancelled (refunded already)."""
    if not order.payment_id:
        return None  # cancelled before payment: nothing was reserved
    lines = lines_of(order)
    _release(steps, order.id, lines)
    shipment_id = shipment_id_for(order.id)
    if not shipments.exists(shipment_id):
        return Outcome(Process.RELEASED, lines)
    reason = order.cancel_reason or "order cancelled"
    steps.send("cancel-shipment", c.CancelShipment, shipment_id=shipment_id, reason=reason)
    return Outcome(Process.RELEASED, lines, shipment_id)


def on_shipped(steps: Steps, order: Order) -> Outcome | None:
    """The reserved stock leaves the warehouse, and the shipment with it."""
    lines = lines_of(order)
    for product_id, _ in lines:
        steps.send(f"issue:{product_id}", c.IssueStock, product_id=product_id, order_id=order.id)
    if order.shipment_id is None:
        return Outcome(Process.SHIPPED, lines)
    steps.send("ship-shipment", c.ShipShipment, shipment_id=order.shipment_id)
    return Outcome(Process.SHIPPED, lines, order.shipment_id)


REACTIONS: dict[str, Callable[[Steps, Order], Outcome | None]] = {
    OrderPaid.event_type: on_paid,
    OrderCancelled.event_type: on_cancelled,
    OrderShipped.event_type: on_shipped,
}


def _moved_on(order: Order) -> Outcome:
    """Where a paid order stands that no longer needs reserving."""
    if order.cancel_reason == INSUFFICIENT_STOCK:
        return Outcome(Process.OUT_OF_STOCK, lines_of(order))
    stage = {
        Fulfillment.READY_TO_SHIP: Process.READY_TO_SHIP,
        Fulfillment.SHIPPED: Process.SHIPPED,
    }.get(order.fulfillment)
    return Outcome(stage, lines_of(order), order.shipment_id)


def _reserve(steps: Steps, order_id: UUID, product_id: UUID, quantity: int) -> bool:
    """Whether the line is reserved for the order once the step ran."""
    try:
        steps.send(
            f"reserve:{product_id}",
            c.ReserveStock,
            expect=(InsufficientStock,),
            product_id=product_id,
            order_id=order_id,
            quantity=quantity,
        )
    except InsufficientStock:
        return False
    return inventories.load(product_id).reservation_for(order_id) is not None


def _release(steps: Steps, order_id: UUID, lines: Sequence[Line]) -> None:
    """Release every line; a line with nothing reserved records nothing."""
    for product_id, _ in lines:
        steps.send(
            f"release:{product_id}", c.ReleaseStock, product_id=product_id, order_id=order_id
        )


def _cancel_for_want_of_stock(steps: Steps, order_id: UUID) -> None:
    """Cancel, which refunds the paid order; one cancelled meanwhile is refunded already."""
    try:
        steps.send(
            "cancel-order",
            c.CancelOrder,
            expect=(InvalidTransition,),
            order_id=order_id,
            reason=INSUFFICIENT_STOCK,
        )
    except InvalidTransition as refused:
        if orders.load(order_id).status != CANCELLED:
            raise StepFailed("cancel-order", refused) from refused


# The subscriber that orders.processes.runner drives.


class FulfillmentProcessManager:
    """The subscriber ``orders.processes.runner`` drives (its ``Subscriber`` protocol)."""

    name = NAME
    event_types = frozenset(REACTIONS)  # what the event catalog lists as handled here

    def wants(self, recorded: RecordedEvent) -> bool:
        return recorded.stream_type == Order.stream_type and recorded.event_type in REACTIONS

    def react(self, recorded: RecordedEvent) -> Remember:
        """Send the event's commands now; the returned function records it (with the checkpoint)."""
        order_id = order_id_of(recorded)
        if memory.waits(order_id, recorded.version):
            return lambda: memory.wait_behind(order_id, recorded)
        outcome = REACTIONS[recorded.event_type](Steps(recorded), orders.load(order_id))
        return lambda: memory.remember(order_id, recorded, outcome, REACTIONS)

    def park(self, recorded: RecordedEvent, error: Exception) -> Remember:
        """Set the order aside at this event; the log flows on without it."""
        step = error.step if isinstance(error, StepFailed) else recorded.event_type
        trace = "".join(traceback.format_exception(error))
        return lambda: memory.park(order_id_of(recorded), recorded, step, trace)

    def due(self, now: dt.datetime, limit: int) -> list[RecordedEvent]:
        return memory.due(now, limit)

    def parked(self) -> list[memory.ParkedOrder]:
        return memory.parked()

    def retry(self, key: str) -> bool:
        """Try the order's parked step again at the runner's next batch."""
        return memory.make_due(key)

    def skip(self, key: str) -> RecordedEvent | None:
        """Pass over the order's parked event; its later events go on."""
        return memory.skip_parked(key, REACTIONS)


process_manager = FulfillmentProcessManager()


def order_id_of(recorded: RecordedEvent) -> UUID:
    return UUID(recorded.stream_id.removeprefix(f"{Order.stream_type}-"))
