"""Which rows a query reads, and read-your-writes (docs/architecture.md, invariant 11).

A query resolves its projection's ``ReadView`` once: the active generation and
the checkpoint, from one read of the state row. Every later query of the request
reads that generation, so it sees one complete build even if a rebuild switches
meanwhile (``projections.engine.rebuilding``).

With ``min_position=N`` (the position a command returned), the query first waits,
up to ``READ_YOUR_WRITES_TIMEOUT``, until the projection has applied the event at
N. Applied means: the projection's checkpoint is at or after that event's place in
the store's safe read order, ``checkpoint >= store.checkpoint_of(N)``; a plain
position comparison would be wrong on PostgreSQL, where the order is (tx_id,
position). The wait polls in autocommit, outside any transaction: on SQLite a
transaction held while waiting would block the very runner it waits for.
"""

from __future__ import annotations

import dataclasses
import time

from django.conf import settings

from eventstore import store
from projections.engine.state import ProjectionState

FIRST_POLL_SECONDS = 0.005
MAX_POLL_SECONDS = 0.1
sleep = time.sleep  # a seam for tests that drive the runner while a query waits


@dataclasses.dataclass(frozen=True)
class ReadView:
    projection: str
    generation: int
    checkpoint: store.Checkpoint
    # ``min_position`` was asked and not applied within the wait (or names no event).
    stale: bool = False

    @property
    def position(self) -> int:
        """The position of the last event the projection applied (``X-Projection-Position``)."""
        return self.checkpoint.position


def read_view(projection: str, min_position: int | None = None) -> ReadView:
    if min_position is None or wait_until_applied(projection, min_position):
        return _current(projection)
    return dataclasses.replace(_current(projection), stale=True)


def wait_until_applied(projection: str, position: int, timeout: float | None = None) -> bool:
    """Whether ``projection`` has applied the event at ``position`` within ``timeout`` seconds."""
    target = store.checkpoint_of(position)
    if target is None:
        return False  # no such event (yet): nothing to wait for
    limit = settings.READ_YOUR_WRITES_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + limit
    pause = FIRST_POLL_SECONDS
    while _current(projection).checkpoint < target:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sleep(min(pause, remaining))
        pause = min(pause * 2, MAX_POLL_SECONDS)
    return True


def _current(projection: str) -> ReadView:
    row = (
        ProjectionState.objects.filter(name=projection)
        .values_list("generation", "tx_id", "position")
        .first()
    )
    if row is None:
        return ReadView(projection, 1, store.START)
    generation, tx_id, position = row
    return ReadView(projection, generation, store.Checkpoint(tx_id, position))
