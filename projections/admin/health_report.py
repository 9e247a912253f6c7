"""What the projection health page shows for each projection, beyond ``projection_statuses``.

Recent throughput is measured against the log, which is all there is to measure
against: of the events recorded in the last ``WINDOW``, how many the projection
has applied (those at or before its checkpoint in the store's safe read order).
A projection that keeps up applies them all; one that is behind, fewer. A rebuild
reports its own rate: events built since it started.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from eventstore import store
from eventstore.models import Event
from projections.engine.status import ProjectionStatus, projection_statuses
from projections.models import ProjectionState

WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Throughput:
    applied: int
    recorded: int
    window: dt.timedelta

    @property
    def per_minute(self) -> float:
        return self.applied / (self.window.total_seconds() / 60)


@dataclass(frozen=True)
class HealthRow:
    status: ProjectionStatus
    state: ProjectionState
    throughput: Throughput
    now: dt.datetime

    @property
    def name(self) -> str:
        return self.status.name

    @property
    def rebuild_percent(self) -> int:
        rebuild = self.status.rebuild
        if rebuild is None or not rebuild.total:
            return 0
        return min(100, round(100 * rebuild.done / rebuild.total))

    @property
    def rebuild_rate(self) -> float | None:
        """Events per second since the rebuild began."""
        rebuild = self.status.rebuild
        if rebuild is None or rebuild.started_at is None:
            return None
        seconds = (self.now - rebuild.started_at).total_seconds()
        return rebuild.done / seconds if seconds > 0 else None


def health_rows(window: dt.timedelta = WINDOW) -> list[HealthRow]:
    now = timezone.now()
    statuses = projection_statuses()
    states = {s.name: s for s in ProjectionState.objects.all()}
    recent = Event.objects.filter(recorded_at__gt=now - window)
    recorded = recent.count()
    return [
        HealthRow(
            status,
            states.get(status.name) or ProjectionState(name=status.name),
            Throughput(_applied(recent, status.checkpoint), recorded, window),
            now,
        )
        for status in statuses
    ]


def _applied(events: QuerySet[Event], checkpoint: store.Checkpoint) -> int:
    """How many of ``events`` lie at or before ``checkpoint`` in the safe read order."""
    before = Q(tx_id__lt=checkpoint.tx_id)
    at_or_before = before | Q(tx_id=checkpoint.tx_id, position__lte=checkpoint.position)
    return events.filter(at_or_before).count()
