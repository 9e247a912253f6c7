"""Show each projection's state, checkpoint, the head of the log, lag and last error,
then the subscribers' parked work."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from eventstore import store
from orders.processes.health import process_health
from projections.engine.status import ProjectionStatus, projection_statuses

COLUMNS = ("NAME", "STATE", "GEN", "CHECKPOINT", "HEAD", "LAG", "LAG (s)", "LAST ERROR")


class Command(BaseCommand):
    help = "A table of the projections: state, checkpoint, head of the log, lag, last error."

    def handle(self, *args: object, **options: object) -> None:
        rows = [COLUMNS, *(_row(status) for status in projection_statuses())]
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


def _row(status: ProjectionStatus) -> tuple[str, ...]:
    return (
        status.name,
        _state(status),
        str(status.generation),
        _checkpoint(status.checkpoint),
        _checkpoint(status.head),
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


def _checkpoint(checkpoint: store.Checkpoint) -> str:
    return f"{checkpoint.tx_id}:{checkpoint.position}"


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
