"""django-q2 tasks: thin, named by strings, bounded in time.

A task runs at most ``PROJECTIONS_BATCHES_PER_TASK`` batches per projection, for
about ``PROJECTIONS_SECONDS_PER_TASK``, and, if one is still behind,
enqueues a successor instead of looping:
the cluster kills a task past its ``timeout`` (and re-delivers it after ``retry``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from eventstore.subscriptions.outcomes import in_rounds
from projections.engine import dispatch, rebuilding, runner


def catch_up(*names: str) -> int:
    """Advance the named projections (all when none); returns the events applied."""
    dispatch.acknowledge()
    report = advance(names)
    if report.behind:
        dispatch.wake()
    return report.total


def advance(names: Sequence[str] = ()) -> runner.Report:
    """Rounds of one batch per projection (every one when ``names`` is empty) until none
    is behind, ``PROJECTIONS_BATCHES_PER_TASK`` rounds or ``PROJECTIONS_SECONDS_PER_TASK``
    have gone by. The process managers have a task of their own (``orders.processes``)."""
    return in_rounds(
        runner.advance,
        names,
        settings.PROJECTIONS_BATCHES_PER_TASK,
        settings.PROJECTIONS_SECONDS_PER_TASK,
    )


def rebuild(name: str, verify: bool = False) -> int:
    """Start rebuilding ``name`` beside its active rows and get the runners going;
    ``verify``: compare before going live (projections/engine/comparison.py)."""
    rebuilding.start(name, verify=verify)
    return catch_up(name)
