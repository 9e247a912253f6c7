"""How far each projection is: checkpoint, head of the log, lag, rebuild, last error.

The write side's process managers (read through ``orders.processes.health``) are listed
after the projections, with ``kind`` "subscriber" and how much of their work is parked;
they cannot be rebuilt.
Shared by ``manage.py projections``, ``/healthz`` and the admin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.utils import timezone

from eventstore import store
from orders.processes.health import ProcessHealth, process_health
from projections.engine.projection import all_projections
from projections.engine.state import ProjectionState


@dataclass(frozen=True)
class RebuildProgress:
    generation: int
    done: int
    total: int
    started_at: dt.datetime | None


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    generation: int
    checkpoint: store.Checkpoint
    head: store.Checkpoint
    lag_events: int
    lag_seconds: float
    error: str
    error_position: int | None
    retry_at: dt.datetime | None
    rebuild: RebuildProgress | None
    kind: str = "projection"  # or "subscriber"
    parked: int = 0  # a subscriber's work set aside after failing (see its ``parked()``)

    @property
    def state(self) -> str:
        if self.error:
            return "failing"
        if self.rebuild is not None:
            return "rebuilding"
        return "behind" if self.lag_events else "up to date"


def projection_statuses() -> list[ProjectionStatus]:
    head = store.head()
    states = {state.name: state for state in ProjectionState.objects.all()}
    now = timezone.now()
    log_size: list[int] = []  # counted once, and only if some projection is rebuilding
    projections = [
        _status(states.get(p.name) or ProjectionState(name=p.name), head, now, log_size)
        for p in all_projections()
    ]
    subscribers = [
        replace(
            _status(_as_state(process), head, now, log_size),
            kind="subscriber",
            parked=len(process.parked),
        )
        for process in process_health()
    ]
    return projections + subscribers


def _as_state(process: ProcessHealth) -> ProjectionState:
    """A process's place in the log in the shape the projections' status reads."""
    return ProjectionState(
        name=process.name,
        tx_id=process.checkpoint.tx_id,
        position=process.checkpoint.position,
        error=process.error,
        error_position=process.error_position,
        retry_at=process.retry_at,
    )


def _status(
    state: ProjectionState, head: store.Checkpoint, now: dt.datetime, log_size: list[int]
) -> ProjectionStatus:
    oldest_unapplied = store.read_all(after=state.checkpoint, limit=1)
    lag_seconds = (
        (now - oldest_unapplied[0].recorded_at).total_seconds() if oldest_unapplied else 0.0
    )
    return ProjectionStatus(
        name=state.name,
        generation=state.generation,
        checkpoint=state.checkpoint,
        head=head,
        lag_events=store.count_after(state.checkpoint),
        lag_seconds=max(lag_seconds, 0.0),
        error=state.error,
        error_position=state.error_position,
        retry_at=state.retry_at,
        rebuild=_rebuild_progress(state, log_size),
    )


def _rebuild_progress(state: ProjectionState, log_size: list[int]) -> RebuildProgress | None:
    if state.rebuild_generation is None:
        return None
    if not log_size:
        log_size.append(store.count_after(store.START))
    done = log_size[0] - store.count_after(state.rebuild_checkpoint)
    return RebuildProgress(state.rebuild_generation, done, log_size[0], state.rebuild_started_at)
