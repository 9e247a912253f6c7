"""How far each process manager is, for the read side's health views to show.

The one module of ``orders.processes`` the read side may import (import-linter's
allow-list): it only reads. ``retry_now`` clears a failing process's backoff, what
the admin's "retry" button has always done, and wakes the process's runner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from eventstore import store
from orders.processes import dispatch, runner
from orders.processes.runner import ParkedWork
from orders.processes.state import ProcessState


@dataclass(frozen=True)
class ProcessHealth:
    name: str
    checkpoint: store.Checkpoint
    error: str
    error_position: int | None
    retry_at: dt.datetime | None
    parked: Sequence[ParkedWork]


def process_health() -> list[ProcessHealth]:
    """Every registered process manager, in registration order."""
    states = {state.name: state for state in ProcessState.objects.all()}
    found = []
    for subscriber in runner.all_subscribers():
        state = states.get(subscriber.name) or ProcessState(name=subscriber.name)
        found.append(
            ProcessHealth(
                name=state.name,
                checkpoint=state.checkpoint,
                error=state.error,
                error_position=state.error_position,
                retry_at=state.retry_at,
                parked=subscriber.parked(),
            )
        )
    return found


def event_types_handled() -> dict[str, frozenset[str]]:
    """The event types each process manager reacts to (for the event catalog); a
    process that does not declare ``event_types`` lists none."""
    return {s.name: frozenset(getattr(s, "event_types", ())) for s in runner.registered()}


def is_process(name: str) -> bool:
    return name in runner.names()


def retry_now(name: str) -> bool:
    """Try a failing process's event again now, not after its backoff; False if it has
    never run. Its runner is woken once this commits."""
    if not ProcessState.objects.filter(name=name).update(retry_at=None):
        return False
    transaction.on_commit(dispatch.wake)
    return True


def skip_parked(name: str, key: str) -> store.RecordedEvent | None:
    """Pass over one piece of a process's parked work for good (the dead-letter desk's
    Skip; the caller records who, when and why); the event it was parked at, or None
    when nothing by that key is parked."""
    return runner.skip(name, key)


def retry_parked(name: str, key: str) -> bool:
    """Make one piece of a process's parked work due now (the dead-letter desk's Retry);
    False when nothing by that key is parked. Its runner is woken once this commits."""
    return runner.retry(name, key)
