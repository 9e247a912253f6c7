"""django-q2 tasks: thin, named by strings, bounded in time.

A task runs at most ``PROJECTIONS_BATCHES_PER_TASK`` batches per projection and,
if some projection is still behind, enqueues a successor instead of looping: the
cluster kills a task past its ``timeout`` (and re-delivers it after ``retry``).
"""

from __future__ import annotations

from projections import dispatch, rebuilding, runner


def catch_up(*names: str) -> int:
    """Advance the named projections (all when none); returns the events applied."""
    dispatch.acknowledge()
    report = runner.advance(names or None)
    if report.behind:
        dispatch.wake()
    return report.total


def rebuild(name: str) -> int:
    """Start rebuilding ``name`` beside its active rows and get the runners going."""
    rebuilding.start(name)
    return catch_up(name)
