"""Advance projections through the global log, one batch per transaction.

A batch locks the projection (``projections.engine.locks``), reads the next events after
its checkpoint in the store's safe read order (the checkpoint is the pair
``(tx_id, position)``, so it never passes an event that has not committed yet),
applies them, and commits the rows with the new checkpoint: exactly-once effects
(docs/architecture.md, invariants 5, 7 and 8).

The active generation is served first; while a rebuild is under way, a batch that
finds the active generation caught up (or backing off after a failure) builds the
next one instead (``projections.engine.rebuilding``).

A handler that raises stops the projection at that event: the batch is rolled back
and re-applied in halves, the events before the failing one commit with their
checkpoint, and the state row records the error, the event's position and the
traceback, plus when to try again (exponential backoff). Other projections have
their own rows, checkpoints and locks and carry on.

``advance`` runs rounds of one batch per projection; projections at the same
checkpoint share the round's reading and decoding of the log (``reading.Log``).
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from eventstore import backoff, store
from eventstore.subscriptions import faults
from eventstore.subscriptions.outcomes import BatchResult, Outcome, Report
from projections.engine import locks, rebuilding
from projections.engine.projection import Decode, Projection, all_projections, get
from projections.engine.reading import Log
from projections.engine.rows import Rows
from projections.engine.state import ProjectionState


@dataclass(frozen=True)
class Track:
    """Where a batch reads and writes: the active generation or the one being rebuilt."""

    name: str  # "live" or "rebuild"
    generation: int
    after: store.Checkpoint

    @property
    def rebuild(self) -> bool:
        return self.name == "rebuild"

    def batch_size(self, projection: str) -> int:
        if self.rebuild:
            return batch_size(rebuild=True)
        after, size = _live_sizes.get(projection, (None, 0))
        return size if after == self.after else batch_size(rebuild=False)

    def move(self, state: ProjectionState, checkpoint: store.Checkpoint) -> None:
        if self.rebuild:
            state.rebuild_tx_id, state.rebuild_position = checkpoint.tx_id, checkpoint.position
        else:
            state.tx_id, state.position = checkpoint.tx_id, checkpoint.position

    def blocked(self, state: ProjectionState, now: dt.datetime) -> bool:
        """Whether this track failed and is backing off."""
        waiting = state.retry_at is not None and state.retry_at > now
        return waiting and state.failed_track == self.name


def batch_size(*, rebuild: bool) -> int:
    """Events per batch: a rebuild reads far behind the head, in bigger batches."""
    if rebuild:
        return settings.PROJECTIONS_REBUILD_BATCH_SIZE
    return int(settings.PROJECTIONS_BATCH_SIZE)


# The live track's next batch size, by projection, in this process: doubled after
# each full batch (far behind the head, as a runner catching up from empty) up to
# the rebuild's, and back to PROJECTIONS_BATCH_SIZE after a batch that reached the
# head or failed, so a runner at the head commits small batches and lag stays low.
# Kept with the checkpoint the batch reached: a projection found elsewhere (another
# process went on with it) starts small again.
_live_sizes: dict[str, tuple[store.Checkpoint, int]] = {}


def _adapt_live_size(
    projection: str, size: int, result: BatchResult, reached: store.Checkpoint
) -> None:
    base = batch_size(rebuild=False)
    if result.outcome is Outcome.APPLIED and result.events >= size:
        _live_sizes[projection] = reached, min(size * 2, max(base, batch_size(rebuild=True)))
    else:
        _live_sizes.pop(projection, None)


def tracks(state: ProjectionState) -> list[Track]:
    """The active generation first; then, during a rebuild, the one being built."""
    found = [Track("live", state.generation, state.checkpoint)]
    if state.rebuild_generation is not None:
        found.append(Track("rebuild", state.rebuild_generation, state.rebuild_checkpoint))
    return found


def run_batch(
    projection: Projection, batch_size: int | None = None, log: Log | None = None
) -> BatchResult:
    """Apply at most one batch of events to ``projection``.

    A rebuild goes on while the active generation backs off after a failure, and
    once complete replaces it: rebuilding is also how a broken projection is mended.
    Pass the round's ``log`` to share pages and decoded events with other projections.
    """
    if _caught_up(locks.ensure(projection.name)):
        return BatchResult(Outcome.IDLE)
    log = log or Log()
    with transaction.atomic():
        state = locks.claim(projection.name)
        if state is None:
            return BatchResult(Outcome.BUSY)
        if not state.rebuilding:
            rebuilding.forget_rows(projection.name)  # it ended in another process
        now = timezone.now()
        rebuilding.retire_if_due(projection, state, now)
        waiting = False
        for track in tracks(state):
            if track.blocked(state, now):
                waiting = True
                continue
            size = batch_size or track.batch_size(projection.name)
            events = log.read(track.after, size)
            if events:
                rows = rebuilding.rows(projection, state, live=not track.rebuild)
                result = _apply(projection, state, track, events, now, log.decode, rows)
                if not track.rebuild and batch_size is None:
                    _adapt_live_size(projection.name, size, result, state.checkpoint)
                return result
            if not track.rebuild:
                _live_sizes.pop(projection.name, None)
            if track.rebuild:
                rebuilding.switch(projection, state, now)
                return BatchResult(Outcome.SWITCHED)
        return BatchResult(Outcome.WAITING if waiting else Outcome.IDLE)


def _apply(
    projection: Projection,
    state: ProjectionState,
    track: Track,
    events: list[store.RecordedEvent],
    now: dt.datetime,
    decode: Decode,
    rows: Rows | None,
) -> BatchResult:
    applied, failure = _apply_events(projection, track.generation, events, decode, rows)
    if applied:
        track.move(state, events[applied - 1].checkpoint)
    if failure is not None:
        _record_failure(state, track, events[applied], failure, now)
    elif state.failed_track == track.name:
        state.forget_failure()
    state.updated_at = now
    state.save()
    if failure is None:
        if rows is not None:
            rebuilding.keep_rows(projection, state, rows, live=not track.rebuild)
        return BatchResult(Outcome.APPLIED, applied, rebuilding=track.rebuild)
    rebuild_can_go_on = state.rebuilding and not track.rebuild
    return BatchResult(Outcome.FAILED, applied, track.rebuild, rebuild_can_go_on)


def _apply_events(
    projection: Projection,
    generation: int,
    events: list[store.RecordedEvent],
    decode: Decode,
    rows: Rows | None = None,
) -> tuple[int, str | None]:
    """How many events applied, and the traceback of the one that failed, if any.

    A batch that fails is split in halves, the first applied before the second, so
    the events before the failing one are applied in a few batches, not one by one.
    """
    faults.reached(projection.name, events)  # test-only; off unless armed (tests/faults)
    try:
        with transaction.atomic():
            projection.apply_batch(generation, events, decode, rows)
        return len(events), None
    except Exception:
        if len(events) == 1:
            return 0, traceback.format_exc()
    half = len(events) // 2
    applied, failure = _apply_events(projection, generation, events[:half], decode)
    if failure is not None:
        return applied, failure
    applied, failure = _apply_events(projection, generation, events[half:], decode)
    return half + applied, failure


def _record_failure(
    state: ProjectionState, track: Track, event: store.RecordedEvent, trace: str, now: dt.datetime
) -> None:
    state.failures += 1
    state.failed_track = track.name
    state.error = trace.strip().splitlines()[-1]
    state.error_position = event.position
    state.error_traceback = trace
    state.retry_at = now + backoff.wait_after(state.failures)


def _caught_up(state: ProjectionState) -> bool:
    """A lock-free glance: at the head, not rebuilding, nothing to retire (then skip the lock)."""
    if state.rebuilding or state.retired_generation is not None:
        return False
    return state.checkpoint >= store.head()


def advance(names: Iterable[str] | None = None, max_batches: int | None = None) -> Report:
    """Run up to ``max_batches`` batches per projection, round robin, until all are idle
    or ``PROJECTIONS_SECONDS_PER_TASK`` have gone by (rebuild batches are big)."""
    limit = max_batches or settings.PROJECTIONS_BATCHES_PER_TASK
    seconds = settings.PROJECTIONS_SECONDS_PER_TASK
    deadline = time.monotonic() + seconds
    active = [get(name) for name in names] if names is not None else all_projections()
    report = Report(events={p.name: 0 for p in active})
    for _ in range(limit):
        log = Log()  # projections at the same checkpoint read and decode it once
        for projection in list(active):
            result = run_batch(projection, log=log)
            report.events[projection.name] += result.events
            if result.outcome is Outcome.FAILED:
                report.failed.append(projection.name)
            if not result.may_have_more:
                active.remove(projection)
        if not active or time.monotonic() > deadline:
            break
    report.behind = [p.name for p in active]
    return report
