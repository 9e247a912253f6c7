"""What the fulfillment process manager remembers: one ``FulfillmentProcess`` row
per paid order, written only in the runner's checkpoint transaction.

The row records what the process did (its stage, lines and shipment), never what
it should decide next: decisions come from the aggregates (``orders.processes.fulfillment``).
It also parks an order whose step failed: the order's later events wait behind the
parked one (``seen_version`` grows), and when the parked event is done the next
waiting one becomes due. A parked step is tried again with backoff
``AUTO_RETRIES`` times, then only when someone asks (``make_due``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from django.utils import timezone

from eventstore import backoff, store
from eventstore.store import RecordedEvent
from orders.models import FulfillmentProcess as Process
from orders.order import Order

AUTO_RETRIES = 5
# Stages no later event of the order changes (its own cancellation after running out of stock).
FINAL = {Process.OUT_OF_STOCK, Process.RELEASED, Process.SHIPPED}


@dataclass(frozen=True)
class Outcome:
    """What a reaction did; ``stage`` None keeps the process's stage."""

    stage: str | None
    lines: tuple[tuple[UUID, int], ...] = ()
    shipment_id: UUID | None = None


@dataclass(frozen=True)
class ParkedOrder:
    key: str  # the order id
    event_type: str
    version: int
    step: str
    error: str
    attempts: int
    retry_at: dt.datetime | None
    parked_at: dt.datetime | None

    @property
    def stream_id(self) -> str:
        return f"order-{self.key}"


def waits(order_id: UUID, version: int) -> bool:
    """Whether the order's event at ``version`` must wait behind a parked one."""
    parked = Process.objects.filter(order_id=order_id, parked_version__isnull=False)
    return parked.exclude(parked_version=version).exists()


def remember(
    order_id: UUID, recorded: RecordedEvent, outcome: Outcome | None, triggers: Collection[str]
) -> None:
    """Record what the reaction to ``recorded`` did; None: nothing worth a row."""
    process = Process.objects.select_for_update().filter(order_id=order_id).first()
    if process is None:
        if outcome is None:
            return
        process = Process(order_id=order_id, correlation_id=recorded.correlation_id)
    if outcome is not None:
        if outcome.stage is not None and process.stage not in FINAL:
            process.stage = outcome.stage
        if outcome.lines:
            process.lines = [{"product_id": str(p), "quantity": q} for p, q in outcome.lines]
        process.shipment_id = outcome.shipment_id or process.shipment_id
    process.seen_version = max(process.seen_version, recorded.version)
    if process.parked_version == recorded.version:
        _move_to_next_waiting(process, triggers)
    process.save()


def wait_behind(order_id: UUID, recorded: RecordedEvent) -> None:
    process = Process.objects.select_for_update().get(order_id=order_id)
    process.seen_version = max(process.seen_version, recorded.version)
    process.save(update_fields=["seen_version", "updated_at"])


def park(order_id: UUID, recorded: RecordedEvent, step: str, trace: str) -> None:
    """Park the order at ``recorded`` (again, if it was): the error, the attempt, when next."""
    rows = Process.objects.select_for_update()
    process, _ = rows.get_or_create(
        order_id=order_id, defaults={"correlation_id": recorded.correlation_id}
    )
    now = timezone.now()
    if process.parked_version is None:
        process.parked_version, process.parked_event = recorded.version, recorded.event_type
        process.parked_at, process.attempts = now, 0
    process.parked_step = step
    process.error = trace.strip().splitlines()[-1]
    process.error_traceback = trace
    process.attempts += 1
    # One doubling past the log readers' first wait: a parked step retries after 2 s.
    wait = backoff.wait_after(process.attempts + 1)
    process.retry_at = now + wait if process.attempts < AUTO_RETRIES else None
    process.seen_version = max(process.seen_version, recorded.version)
    process.save()


def due(now: dt.datetime, limit: int) -> list[RecordedEvent]:
    """Parked events whose time to try again has come, oldest first."""
    rows = Process.objects.filter(parked_version__isnull=False, retry_at__lte=now)
    return [_parked_event(row) for row in rows.order_by("retry_at", "id")[:limit]]


def parked() -> list[ParkedOrder]:
    rows = Process.objects.filter(parked_version__isnull=False).order_by("parked_at", "id")
    return [
        ParkedOrder(
            str(row.order_id),
            row.parked_event,
            row.parked_version or 0,
            row.parked_step,
            row.error,
            row.attempts,
            row.retry_at,
            row.parked_at,
        )
        for row in rows
    ]


def make_due(order_id: object) -> bool:
    """Make the order's parked step due now; False if the order has none parked."""
    try:
        key = UUID(str(order_id))
    except ValueError:
        return False
    parked = Process.objects.filter(order_id=key, parked_version__isnull=False)
    return bool(parked.update(retry_at=timezone.now()))


def skip_parked(order_id: object, triggers: Collection[str]) -> RecordedEvent | None:
    """Pass over the order's parked event as if its step were done (the dead-letter
    desk's Skip): the next event that waited behind it becomes due. None if the order
    has nothing parked."""
    try:
        key = UUID(str(order_id))
    except ValueError:
        return None
    process = Process.objects.select_for_update().filter(order_id=key).first()
    if process is None or process.parked_version is None:
        return None
    skipped = _parked_event(process)
    _move_to_next_waiting(process, triggers)
    process.save()
    return skipped


def _move_to_next_waiting(process: Process, triggers: Collection[str]) -> None:
    """The parked event is done: park at the next event that waited behind it, if any."""
    assert process.parked_version is not None
    waiting = [
        recorded
        for recorded in store.read_stream(
            Order.stream_id_for(process.order_id),
            from_version=process.parked_version + 1,
            to_version=process.seen_version,
        )
        if recorded.event_type in triggers
    ]
    process.unpark()
    if waiting:
        process.parked_version, process.parked_event = waiting[0].version, waiting[0].event_type
        process.parked_at = process.retry_at = timezone.now()


def _parked_event(process: Process) -> RecordedEvent:
    version = process.parked_version
    stream = Order.stream_id_for(process.order_id)
    return store.read_stream(stream, from_version=version or 1, to_version=version)[0]
