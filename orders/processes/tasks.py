"""The process managers' django-q2 task: thin, named by a string, bounded in time.

It runs at most ``PROCESSES_BATCHES_PER_TASK`` batches per process for about
``PROCESSES_SECONDS_PER_TASK`` and, if one is still behind, enqueues a successor.
The events its commands append wake the projections through ``EVENTSTORE_AFTER_COMMIT``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from eventstore.subscriptions.outcomes import Report, in_rounds
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
    return in_rounds(
        runner.advance,
        names,
        settings.PROCESSES_BATCHES_PER_TASK,
        settings.PROCESSES_SECONDS_PER_TASK,
    )
