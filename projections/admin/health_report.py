"""What the projection health page shows for each projection, beyond ``projection_statuses``.

Recent throughput is what the projection applied: the events its live batches
committed in the last ``WINDOW``, and their rate per second of the batches' work,
from the runner's minute-by-minute records (``projections.engine.throughput``). A
process manager keeps no such record; its row shows none. A rebuild reports its
own rate: events built since it started.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from projections.engine import throughput
from projections.engine.status import ProjectionStatus, projection_statuses
from projections.engine.throughput import WINDOW, Throughput
from projections.models import ProjectionState


@dataclass(frozen=True)
class HealthRow:
    status: ProjectionStatus
    state: ProjectionState
    throughput: Throughput | None  # None for a process manager: it keeps no record
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
    applied = throughput.recent(now, window)
    nothing = Throughput(0, 0, 0.0, window)
    return [
        HealthRow(
            status,
            states.get(status.name) or ProjectionState(name=status.name),
            None if status.kind == "subscriber" else applied.get(status.name, nothing),
            now,
        )
        for status in statuses
    ]
