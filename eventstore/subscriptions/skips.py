"""Events a reader of the log passes over by a staff decision (the dead-letter desk).

A reader that fails on an event stops there (a projection) or parks it (a process).
Staff may skip it instead, with a reason: the reader then treats the event as passed,
live and in every later rebuild, and the event's admin page shows who skipped it for
which reader, when and why. The event itself stays as it was (docs/architecture.md,
invariant 1).
"""

from __future__ import annotations

from uuid import UUID

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from eventstore.models import Event, SkippedEvent


def skipped(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, frozenset[UUID]]:
    """The ids of the events each reader passes over, by reader (one small query; the
    projections' runner asks once per round, projections/engine/reading.py)."""
    found: dict[str, set[UUID]] = {}
    rows = SkippedEvent.objects.using(using).values_list("reader", "event_id")
    for reader, event_id in rows:
        found.setdefault(reader, set()).add(event_id)
    return {reader: frozenset(ids) for reader, ids in found.items()}


def skip(reader: str, position: int, *, reason: str, by: str) -> SkippedEvent:
    """Record that ``reader`` passes over the event at ``position``."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a skip needs a reason")
    event = Event.objects.only("event_id").get(position=position)
    found, _ = SkippedEvent.objects.get_or_create(
        reader=reader,
        event_id=event.event_id,
        defaults={
            "position": position,
            "reason": reason,
            "skipped_by": by,
            "skipped_at": timezone.now(),
        },
    )
    return found


def of_event(event_id: UUID) -> list[SkippedEvent]:
    """Who skipped this event, for which readers."""
    return list(SkippedEvent.objects.filter(event_id=event_id).order_by("skipped_at"))
