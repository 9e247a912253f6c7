"""Wake the projection runners after a command commits.

The write side calls ``wake`` from ``transaction.on_commit`` (with a broker that
has no receipts, such as Redis, a task enqueued inside the transaction could run
before the events exist). ``wake`` enqueues one ``catch_up`` task unless one is
queued and not yet started: a single ``CatchUpRequest`` row is claimed with a
conditional UPDATE, and the task clears it as it starts, so a command committed
after that start enqueues the next task and no wake-up is lost. A claim older than
``STALE_AFTER`` counts as lost (a broker that dropped the task) and is taken over.

Tasks die with the worker that had taken them: the ORM broker hands them out again
only after ``Q_CLUSTER["retry"]`` (90 s), Redis never (it has no acknowledgements).
So every worker process enqueues a catch-up as it starts (``recover``, on
django-q2's ``post_spawn``: a cluster starting, or a dead worker replaced), whatever
the claim says. The every-minute sweep (migration 0002) catches up whatever else a
lost task missed.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone
from django_q.conf import Conf
from django_q.tasks import async_task

from projections.engine.state import CatchUpRequest

STALE_AFTER = dt.timedelta(seconds=5)
CATCH_UP_TASK = "projections.engine.tasks.catch_up"
REQUEST_ID = 1

logger = logging.getLogger(__name__)


def wake() -> None:
    """Ask for a catch-up run; cheap, never floods the queue. Call after commit."""
    if _claim_request():
        _enqueue()


def recover(sender: object = None, **signal: object) -> None:
    """django-q2's ``post_spawn`` receiver: a worker process has started; catch up
    whatever a dead worker's lost tasks would have. Never raises: the worker must
    start even with the database or the broker away (the sweep catches up then)."""
    if Conf.SYNC:
        return  # django-q2 runs its worker loop inline for every synchronous task: no start
    try:
        CatchUpRequest.objects.update_or_create(
            pk=REQUEST_ID, defaults={"requested_at": timezone.now()}
        )
        _enqueue()
    except Exception:
        logger.exception("could not enqueue a catch-up as a worker started; the sweep will")


def _enqueue() -> None:
    try:
        async_task(CATCH_UP_TASK, group="projections")
    except Exception:
        if Conf.SYNC:
            raise
        # The command has committed: a broken broker must not fail it. The sweep
        # (and the stale-claim takeover) will run the catch-up instead.
        logger.exception("could not enqueue %s; the sweep will catch up", CATCH_UP_TASK)


def acknowledge() -> None:
    """Called by a starting catch-up task: the next commit may enqueue another one."""
    CatchUpRequest.objects.filter(pk=REQUEST_ID).update(requested_at=None)


def _claim_request() -> bool:
    now = timezone.now()
    free = Q(requested_at__isnull=True) | Q(requested_at__lt=now - STALE_AFTER)
    if CatchUpRequest.objects.filter(free, pk=REQUEST_ID).update(requested_at=now):
        return True
    _, created = CatchUpRequest.objects.get_or_create(pk=REQUEST_ID, defaults={"requested_at": now})
    return created
