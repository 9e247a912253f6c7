"""django-q2 tasks: thin, named by strings, bounded in time.

A task runs at most ``PROJECTIONS_BATCHES_PER_TASK`` batches per projection and
subscriber and, if one is still behind, enqueues a successor instead of looping:
the cluster kills a task past its ``timeout`` (and re-delivers it after ``retry``).
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.engine import dispatch, rebuilding, runner, subscribers


def catch_up(*names: str) -> int:
    """Advance the named projections and subscribers (all when none); returns the events."""
    dispatch.acknowledge()
    report = advance(names)
    if report.behind:
        dispatch.wake()
    return report.total


def advance(names: Sequence[str] = ()) -> runner.Report:
    """Subscribers first (their commands' events then reach the projections in the same
    run), then projections; every one of them when ``names`` is empty."""
    chosen = [name for name in names if name in subscribers.names()]
    rest = [name for name in names if name not in chosen]
    if not names:
        reports = [subscribers.advance(), runner.advance()]
    else:
        reports = [subscribers.advance(chosen), runner.advance(rest)]
    return runner.Report(
        events={name: n for report in reports for name, n in report.events.items()},
        behind=[name for report in reports for name in report.behind],
        failed=[name for report in reports for name in report.failed],
    )


def rebuild(name: str) -> int:
    """Start rebuilding ``name`` beside its active rows and get the runners going."""
    rebuilding.start(name)
    return catch_up(name)
