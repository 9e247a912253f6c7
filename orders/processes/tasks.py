"""The process managers' django-q2 task: thin, named by a string, bounded in time.

It runs at most ``PROCESSES_BATCHES_PER_TASK`` batches per process for about
``PROCESSES_SECONDS_PER_TASK`` and, if one is still behind, enqueues a successor.
The events its commands append wake the projections through ``EVENTSTORE_AFTER_COMMIT``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.conf import settings

from eventstore.subscriptions.outcomes import Report
from orders.processes import dispatch, runner


def catch_up(*names: str) -> int:
    """Advance the named processes (all when none); returns the events handled."""
    dispatch.acknowledge()
    report = advance(names)
    if report.behind:
        dispatch.wake()
    return report.total


def advance(names: Sequence[str] = ()) -> Report:
    """Rounds of one batch per process until none is behind, ``PROCESSES_BATCHES_PER_TASK``
    rounds or ``PROCESSES_SECONDS_PER_TASK`` have gone by."""
    active: list[str] | None = list(names) if names else None
    deadline = time.monotonic() + settings.PROCESSES_SECONDS_PER_TASK
    report = Report()
    for _ in range(settings.PROCESSES_BATCHES_PER_TASK):
        found = runner.advance(active, max_batches=1)
        for name, count in found.events.items():
            report.events[name] = report.events.get(name, 0) + count
        report.failed += [name for name in found.failed if name not in report.failed]
        report.behind = found.behind
        if not found.behind or time.monotonic() > deadline:
            break
        active = found.behind
    return report
