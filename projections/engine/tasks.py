"""django-q2 tasks: thin, named by strings, bounded in time.

A task runs at most ``PROJECTIONS_BATCHES_PER_TASK`` batches per projection and
subscriber, for about ``PROJECTIONS_SECONDS_PER_TASK``, and, if one is still behind,
enqueues a successor instead of looping:
the cluster kills a task past its ``timeout`` (and re-delivers it after ``retry``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.conf import settings

from projections.engine import dispatch, rebuilding, runner, subscribers


def catch_up(*names: str) -> int:
    """Advance the named projections and subscribers (all when none); returns the events."""
    dispatch.acknowledge()
    report = advance(names)
    if report.behind:
        dispatch.wake()
    return report.total


def advance(names: Sequence[str] = ()) -> runner.Report:
    """Rounds of one batch per subscriber, then one per projection (every one of them when
    ``names`` is empty), until none is behind, ``PROJECTIONS_BATCHES_PER_TASK`` rounds
    or ``PROJECTIONS_SECONDS_PER_TASK`` have gone by.

    Subscribers go first in each round, so their commands' events reach the projections
    in the same run; in rounds, because a subscriber's reactions send commands and are
    slow: a backlog of them (after an outage) must not hold the read models back.
    Every projection runs in every round: a subscriber's commands may give an idle one
    more to do (a caught-up projection costs a glance at the head).
    """
    chosen = [name for name in names if name in subscribers.names()]
    projections = [name for name in names if name not in chosen] if names else None
    reacting: list[str] | None = chosen if names else None
    limit = settings.PROJECTIONS_BATCHES_PER_TASK
    deadline = time.monotonic() + settings.PROJECTIONS_SECONDS_PER_TASK
    report = runner.Report()
    for _ in range(limit):
        reports = []
        if reacting is None or reacting:
            reports.append(subscribers.advance(reacting, max_batches=1))
        if projections is None or projections:
            reports.append(runner.advance(projections, max_batches=1))
        for found in reports:
            for name, count in found.events.items():
                report.events[name] = report.events.get(name, 0) + count
            report.failed += [name for name in found.failed if name not in report.failed]
        behind = [name for found in reports for name in found.behind]
        if not behind or time.monotonic() > deadline:
            break
        reacting = [name for name in behind if name in subscribers.names()]
    report.behind = behind
    return report


def rebuild(name: str) -> int:
    """Start rebuilding ``name`` beside its active rows and get the runners going."""
    rebuilding.start(name)
    return catch_up(name)
