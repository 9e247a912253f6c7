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


def skipped(reader: str, *, using: str = DEFAULT_DB_ALIAS) -> frozenset[UUID]:
    """The ids of the events ``reader`` passes over (one small query per batch)."""
    rows = SkippedEvent.objects.using(using).filter(reader=reader)
    return frozenset(rows.values_list("event_id", flat=True))


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
