"""What each projection applied, minute by minute: the health page's recent throughput.

The runner adds every live batch it commits to its projection's row for the current
minute (``record``, in the batch's transaction, under the projection's lock, so one
writer a row): the events applied, the batches, and the seconds the batches took
from claim to commit. ``recent`` sums the last minutes' rows: how many events the
projection applied, and how fast it applied them while it worked. Rows older than
``KEEP`` go when a new minute's row is made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Max, Sum
from prometheus_client import Histogram

from projections.engine.state import ProjectionProgress

WINDOW = dt.timedelta(minutes=15)
KEEP = dt.timedelta(hours=1)
# Every batch's duration, live or rebuild, for /metrics (projections/metrics.py).
BATCH_SECONDS = Histogram(
    "chronicle_projection_batch_seconds",
    "Seconds a projection's batch took, by projection and track (live or rebuild).",
    ["projection", "track"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def record(name: str, events: int, seconds: float, now: dt.datetime) -> None:
    minute = now.replace(second=0, microsecond=0)
    rows = ProjectionProgress.objects.filter(name=name, minute=minute)
    more = {"events": F("events") + events, "batches": F("batches") + 1}
    if rows.update(**more, seconds=F("seconds") + seconds, last_at=now):
        return
    ProjectionProgress.objects.create(
        name=name, minute=minute, events=events, batches=1, seconds=seconds, last_at=now
    )
    ProjectionProgress.objects.filter(name=name, minute__lt=minute - KEEP).delete()


@dataclass(frozen=True)
class Throughput:
    """What a projection applied in the last ``window``."""

    applied: int
    batches: int
    seconds: float  # the batches' time from claim to commit
    window: dt.timedelta
    last_at: dt.datetime | None = None

    @property
    def per_second(self) -> float | None:
        """Events applied per second of work; None when it applied nothing."""
        if not self.applied:
            return None
        return self.applied / max(self.seconds, 1e-3)

    @property
    def window_minutes(self) -> int:
        return round(self.window.total_seconds() / 60)


def recent(now: dt.datetime, window: dt.timedelta = WINDOW) -> dict[str, Throughput]:
    """Each projection's ``Throughput`` over the minutes since ``now - window``."""
    since = (now - window).replace(second=0, microsecond=0)
    rows = (
        ProjectionProgress.objects.filter(minute__gte=since)
        .order_by()
        .values("name")
        .annotate(
            events=Sum("events"),
            batch_count=Sum("batches"),
            busy=Sum("seconds"),
            last=Max("last_at"),
        )
    )
    return {
        row["name"]: Throughput(row["events"], row["batch_count"], row["busy"], window, row["last"])
        for row in rows
    }
