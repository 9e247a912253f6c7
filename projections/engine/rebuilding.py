"""Rebuild a projection from the start of the log without downtime (invariant 8).

Design: generations, not table swaps. Every read-model row carries the
``generation`` that wrote it, and the projection's state row names the active
one. Queries first read the state row (active generation and checkpoint, in one
query) and then only rows of that generation.

1. ``start`` picks the next generation number, deletes leftovers of any earlier
   unfinished build, and gives the new generation its own checkpoint at the start
   of the log (``rebuild_tx_id``, ``rebuild_position``).
2. Runners keep the active generation caught up first, and with the time left
   build the new generation batch by batch, each batch with its rebuild
   checkpoint in one transaction, under the same per-projection lock. Queries keep
   answering from the active generation, which stays complete and current.
3. When the new generation has read to the head of the log while the active one
   is there too, ``switch`` makes it active: one UPDATE of the state row, in the
   transaction that holds the projection's lock. Readers see the old generation
   or the new one, never a mix, and never a half-built table. A rebuild also goes
   on while the active generation is stuck on a failing event, and then replaces
   it: rebuilding is how a projection whose own rows went bad is mended.
4. The old generation's rows stay for ``RETIRE_AFTER``, so a request that resolved
   the old generation just before the switch still reads complete rows; a later
   batch then deletes them (``retire_if_due``).

The process applying a rebuild keeps the new generation's rows in memory from one
batch to the next (``rows``, ``keep_rows``): a batch then loads only rows it has
not seen, and none at all if the process built the generation from the start.

Compared with building shadow tables and renaming them, generations need no DDL
at run time, work the same on SQLite and PostgreSQL, and let the schema stay under
Django's migrations; the cost is a ``generation`` column leading every index.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from eventstore import store
from projections.engine import comparison, locks
from projections.engine.projection import Projection, get
from projections.engine.rows import Rows
from projections.engine.state import ProjectionState, RebuildDecision

RETIRE_AFTER = dt.timedelta(seconds=30)
# Rows a rebuild keeps in memory between its batches, at most, per projection.
KEEP_AT_MOST = 200_000

# By (projection, live): (_token, rows).
_kept: dict[tuple[str, bool], tuple[tuple[object, ...], Rows]] = {}


def start(name: str, *, verify: bool = False) -> int:
    """Begin building ``name`` afresh beside its active rows; returns the new generation.

    ``verify``: compare it with the live generation before it goes live, and hold it
    for a decision if they differ (``held``, ``decide``)."""
    projection = get(name)
    locks.ensure(name)
    forget_rows(name)
    with transaction.atomic():
        state = locks.claim(name, wait=True)
        assert state is not None
        generations = (state.generation, state.rebuild_generation, state.retired_generation)
        new = max(g for g in generations if g is not None) + 1
        keep = {state.generation, state.retired_generation} - {None}
        _delete_generations(projection, exclude=keep)
        state.rebuild_generation = new
        state.rebuild_tx_id, state.rebuild_position = store.START.tx_id, store.START.position
        state.rebuild_started_at = timezone.now()
        state.rebuild_verify, state.rebuild_held_at, state.rebuild_differences = verify, None, {}
        state.retry_at = None  # asked for by a person: try at once
        state.save()
    return new


def switch(projection: Projection, state: ProjectionState, now: dt.datetime) -> None:
    """Make the rebuilt generation active; call holding the projection's lock."""
    assert state.rebuild_generation is not None
    forget_rows(projection.name)
    forget_rows(projection.name, live=True)
    if state.retired_generation is not None:
        _delete_generations(projection, only=state.retired_generation)
    state.retired_generation, state.retired_at = state.generation, now
    state.generation = state.rebuild_generation
    state.tx_id, state.position = state.rebuild_tx_id, state.rebuild_position
    _end_rebuild(state)
    state.updated_at = now
    state.forget_failure()  # a failure of the retired generation is history
    state.save()


def _end_rebuild(state: ProjectionState) -> None:
    state.rebuild_generation = None
    state.rebuild_tx_id = state.rebuild_position = 0
    state.rebuild_started_at = None
    state.rebuild_verify, state.rebuild_held_at, state.rebuild_differences = False, None, {}


def held(projection: Projection, state: ProjectionState, now: dt.datetime) -> bool:
    """Whether a rebuild that has read to the head stays unswitched: a verified one
    whose rows differ from the live ones (compared now, both at the same checkpoint,
    holding the lock), until a decision; call holding the projection's lock."""
    if not state.rebuild_verify:
        return False
    if state.rebuild_held_at is not None:
        return True
    assert state.rebuild_generation is not None
    found = comparison.compare(projection, state.generation, state.rebuild_generation)
    if not found.any:
        return False
    state.rebuild_held_at, state.rebuild_differences = now, found.as_json()
    state.save(update_fields=["rebuild_held_at", "rebuild_differences"])
    return True


class NotHeld(Exception):
    """The decision names a rebuild that is no longer waiting for one."""


def decide(name: str, generation: int, decision: str, decided_by: str) -> RebuildDecision:
    """Switch to a held rebuild or discard it, as a member of staff decided; the
    differences are compared again first, outside the runners' lock (it can take a
    while), and recorded with the decision."""
    projection = get(name)
    state = ProjectionState.objects.get(name=name)
    if state.rebuild_generation != generation or state.rebuild_held_at is None:
        raise NotHeld(f"{name} has no rebuild of generation {generation} waiting for a decision")
    found = comparison.compare(projection, state.generation, generation)
    with transaction.atomic():
        claimed = locks.claim(name, wait=True)
        assert claimed is not None
        state = claimed
        if state.rebuild_generation != generation or state.rebuild_held_at is None:
            raise NotHeld(f"{name}'s rebuild of generation {generation} was decided meanwhile")
        now = timezone.now()
        if decision == RebuildDecision.SWITCH:
            switch(projection, state, now)
        else:
            forget_rows(name)
            _delete_generations(projection, only=generation)
            _end_rebuild(state)
            state.save()
        return RebuildDecision.objects.create(
            projection=name,
            generation=generation,
            decision=decision,
            decided_by=decided_by,
            decided_at=now,
            differences=found.as_json(),
        )


def rows(projection: Projection, state: ProjectionState, *, live: bool = False) -> Rows:
    """Rows for the rebuild's next batch (or, ``live``, the active generation's): the
    ones this process kept from its last batch if the generation is still where that
    batch left it (no other process went on with it), else new ones, which know every
    row already if the generation is at the start of the log."""
    token, kept = _kept.pop((projection.name, live), (None, None))
    if kept is not None and token == _token(state, live):
        return kept
    if live:
        return Rows(projection.name, state.generation, complete=state.checkpoint == store.START)
    assert state.rebuild_generation is not None
    start = state.rebuild_checkpoint == store.START
    return Rows(projection.name, state.rebuild_generation, complete=start)


def keep_rows(
    projection: Projection, state: ProjectionState, rows: Rows, *, live: bool = False
) -> None:
    """Keep ``rows`` for the next batch once this one commits (if they are not too many)."""
    if len(rows) <= KEEP_AT_MOST:
        kept = (_token(state, live), rows)
        transaction.on_commit(lambda: _kept.__setitem__((projection.name, live), kept))


def forget_rows(name: str, *, live: bool = False) -> None:
    _kept.pop((name, live), None)


def _token(state: ProjectionState, live: bool) -> tuple[object, ...]:
    """Which generation, and how far it has come: for a rebuild, which one (a restart
    has a new start time); for the active one, the state row's last save (another
    process's batch, or a state row made anew, saves another)."""
    if live:
        return state.generation, state.checkpoint, state.updated_at
    return state.rebuild_generation, state.rebuild_started_at, state.rebuild_checkpoint


def retire_if_due(projection: Projection, state: ProjectionState, now: dt.datetime) -> None:
    """Delete the previous generation's rows once no reader can still be using them."""
    if state.retired_generation is None or state.retired_at is None:
        return
    if now - state.retired_at < RETIRE_AFTER:
        return
    _delete_generations(projection, only=state.retired_generation)
    state.retired_generation = state.retired_at = None
    state.save(update_fields=["retired_generation", "retired_at"])


def _delete_generations(
    projection: Projection, *, only: int | None = None, exclude: set[Any] | None = None
) -> None:
    for model in projection.tables:
        scope = model.partition(projection.name, 0)
        scope.pop("generation")
        rows = model._default_manager.filter(**scope)
        if only is not None:
            rows = rows.filter(generation=only)
        if exclude is not None:
            rows = rows.exclude(generation__in=exclude)
        rows.delete()
