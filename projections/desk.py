"""The dead-letter desk: everything that is stuck, in one list.

Two sources today: a projection stopped at the event it fails on (its state row keeps
the position, the error and the traceback) and a process's parked work (the order
fulfillment sets aside, ``orders.processes.health``). A new source (a reader of the
log that parks) adds a function returning its ``Stuck`` items, with their events when
asked, to ``SOURCES`` (docs/architecture.md, "Add a source to the dead-letter desk").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from eventstore.models import Event
from orders.processes.health import process_health
from projections.models import ProjectionState


@dataclass(frozen=True)
class Stuck:
    reader: str
    kind: str  # "projection" or "process"
    key: str  # what Retry names: the projection, or the process's parked work
    event: Event | None
    error: str
    traceback: str
    since: dt.datetime | None

    @property
    def waited(self) -> dt.timedelta | None:
        return None if self.since is None else timezone.now() - self.since

    @property
    def overdue(self) -> bool:
        waited = self.waited
        return waited is not None and waited >= threshold()

    @property
    def can_skip(self) -> bool:
        # A projection passes over the event; a process passes over the parked step
        # (the order's later events go on; what else the order needs, staff decide).
        return self.event is not None


def threshold() -> dt.timedelta:
    """How long an item waits before the admin index and /healthz count it as stuck."""
    return dt.timedelta(seconds=settings.DEAD_LETTER_AFTER_SECONDS)


def _projections(with_events: bool) -> list[Stuck]:
    states = ProjectionState.objects.filter(error_position__isnull=False).order_by("name")
    positions = [s.error_position for s in states]
    events = Event.objects.in_bulk(positions) if with_events else {}
    return [
        Stuck(
            reader=s.name,
            kind="projection",
            key=s.name,
            event=events.get(s.error_position),  # type: ignore[arg-type]
            error=s.error,
            traceback=s.error_traceback,
            since=s.failing_since or s.updated_at,
        )
        for s in states
    ]


def _processes(with_events: bool) -> list[Stuck]:
    parked = [(process.name, work) for process in process_health() for work in process.parked]
    events: dict[tuple[str, int], Event] = {}
    if with_events and parked:
        wanted = Q()
        for _, work in parked:
            wanted |= Q(stream_id=work.stream_id, version=work.version)
        events = {(e.stream_id, e.version): e for e in Event.objects.filter(wanted)}
    return [
        Stuck(
            reader=name,
            kind="process",
            key=work.key,
            event=events.get((work.stream_id, work.version)),
            error=work.error,
            traceback="",
            since=work.parked_at,
        )
        for name, work in parked
    ]


# Each source lists its stuck items; the events are looked up only for the page.
SOURCES: list[Callable[[bool], list[Stuck]]] = [_projections, _processes]


def stuck(*, with_events: bool = True) -> list[Stuck]:
    """Every stuck item, longest waiting first."""
    items = [item for source in SOURCES for item in source(with_events)]
    oldest = timezone.now()
    return sorted(items, key=lambda item: item.since or oldest)


def overdue_count() -> int:
    """What /healthz and the admin index show; reads no events."""
    return sum(1 for item in stuck(with_events=False) if item.overdue)
