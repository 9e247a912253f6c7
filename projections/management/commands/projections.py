"""Show each projection's state, checkpoint, the head of the log, lag and last error,
then the subscribers' parked work.

A checkpoint reads as the position of the last event applied and when that event was
recorded ("1234 (12:31:05)"); its transaction id, a large xid8 on PostgreSQL, only
orders the log and says nothing to a reader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from eventstore import store
from eventstore.models import Event
from orders.processes.health import process_health
from projections.engine.status import ProjectionStatus, projection_statuses

COLUMNS = ("NAME", "STATE", "GEN", "CHECKPOINT", "HEAD", "LAG", "LAG (s)", "LAST ERROR")


class Command(BaseCommand):
    help = "A table of the projections: state, checkpoint, head of the log, lag, last error."

    def handle(self, *args: object, **options: object) -> None:
        statuses = projection_statuses()
        times = _recorded_at(
            position for s in statuses for position in (s.checkpoint.position, s.head.position)
        )
        rows = [COLUMNS, *(_row(status, times) for status in statuses)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())
        for subscriber in process_health():
            parked = subscriber.parked
            if parked:
                self.stdout.write(
                    f"\n{subscriber.name}: {len(parked)} parked "
                    f"(retry with `manage.py retry_parked {subscriber.name} KEY` or in admin)"
                )
            for work in parked:
                self.stdout.write(f"  {_parked(work)}")


def _recorded_at(positions: Iterable[int]) -> dict[int, dt.datetime]:
    """When the events at ``positions`` were recorded, in one query."""
    wanted = set(positions) - {store.START.position}
    return dict(Event.objects.filter(position__in=wanted).values_list("position", "recorded_at"))


def _row(status: ProjectionStatus, times: dict[int, dt.datetime]) -> tuple[str, ...]:
    return (
        status.name,
        _state(status),
        str(status.generation),
        _checkpoint(status.checkpoint, times),
        _checkpoint(status.head, times),
        str(status.lag_events),
        f"{status.lag_seconds:.1f}",
        _error(status),
    )


def _state(status: ProjectionStatus) -> str:
    if status.parked:
        return f"{status.state}, {status.parked} parked"
    rebuild = status.rebuild
    if rebuild is None or status.error:
        return status.state
    percent = 100 * rebuild.done // rebuild.total if rebuild.total else 100
    return f"rebuilding g{rebuild.generation} {percent}%"


def _checkpoint(checkpoint: store.Checkpoint, times: dict[int, dt.datetime]) -> str:
    """The position and the local time it was recorded (with the date if not today)."""
    if checkpoint.position == store.START.position:
        return "0 (start)"
    recorded = times.get(checkpoint.position)
    if recorded is None:
        return str(checkpoint.position)
    local = timezone.localtime(recorded)
    today = local.date() == timezone.localdate()
    when = f"{local:%H:%M:%S}" if today else f"{local:%Y-%m-%d %H:%M}"
    return f"{checkpoint.position} ({when})"


def _error(status: ProjectionStatus) -> str:
    if not status.error:
        return "-"
    retry = f", retry at {status.retry_at:%H:%M:%S}" if status.retry_at else ""
    return f"at position {status.error_position}: {status.error}{retry}"


def _parked(work: Any) -> str:
    retry = f"retry at {work.retry_at:%H:%M:%S}" if work.retry_at else "waits for a retry"
    attempts = f"{work.attempts} attempt{'s' if work.attempts != 1 else ''}"
    return (
        f"{work.key}  {work.event_type} v{work.version}, step {work.step or '-'}, "
        f"{attempts}, {retry}: {work.error or '-'}"
    )
