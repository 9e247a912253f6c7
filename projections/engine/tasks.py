"""django-q2 tasks: thin, named by strings, bounded in time.

A task runs at most ``PROJECTIONS_BATCHES_PER_TASK`` batches per projection, for
about ``PROJECTIONS_SECONDS_PER_TASK``, and, if one is still behind,
enqueues a successor instead of looping:
the cluster kills a task past its ``timeout`` (and re-delivers it after ``retry``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.conf import settings

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
    chosen: list[str] | None = list(names) if names else None
    deadline = time.monotonic() + settings.PROJECTIONS_SECONDS_PER_TASK
    report = runner.Report()
    for _ in range(settings.PROJECTIONS_BATCHES_PER_TASK):
        found = runner.advance(chosen, max_batches=1)
        for name, count in found.events.items():
            report.events[name] = report.events.get(name, 0) + count
        report.failed += [name for name in found.failed if name not in report.failed]
        report.behind = found.behind
        if not found.behind or time.monotonic() > deadline:
            break
        chosen = found.behind
    return report


def rebuild(name: str) -> int:
    """Start rebuilding ``name`` beside its active rows and get the runners going."""
    rebuilding.start(name)
    return catch_up(name)
