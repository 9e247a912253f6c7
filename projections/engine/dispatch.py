"""Wake the projection runners after a command commits.

The write side calls ``wake`` from ``transaction.on_commit`` (with a broker that
has no receipts, such as Redis, a task enqueued inside the transaction could run
before the events exist). ``wake`` enqueues one ``catch_up`` task unless one is
queued and not yet started: a single ``CatchUpRequest`` row is claimed with a
conditional UPDATE, and the task clears it as it starts, so a command committed
after that start enqueues the next task and no wake-up is lost. A claim older than
``STALE_AFTER`` counts as lost (a broker that dropped the task) and is taken over.
The every-minute sweep (migration 0002) catches up whatever a lost task missed.
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
    if not _claim_request():
        return
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
