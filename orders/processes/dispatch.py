"""Wake the process managers after a command commits, as the read side's
``projections.engine.dispatch`` wakes the projections (and for the same reasons:
read that module's docstring).

``wake`` runs from ``EVENTSTORE_AFTER_COMMIT`` and enqueues one ``catch_up`` task of
the processes unless one is queued and not yet started (a single
``ProcessCatchUpRequest`` row, claimed with a conditional UPDATE and cleared by the
task as it starts). ``recover`` (django-q2's ``post_spawn``, connected in
``orders.apps``) enqueues one whatever the claim says as each worker starts. The
every-minute sweep (migration ``orders.0004``) catches up what a lost task missed.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone
from django_q.conf import Conf
from django_q.tasks import async_task

from orders.processes.state import ProcessCatchUpRequest

STALE_AFTER = dt.timedelta(seconds=5)
CATCH_UP_TASK = "orders.processes.tasks.catch_up"
REQUEST_ID = 1

logger = logging.getLogger(__name__)


def wake() -> None:
    """Ask for a run of the processes; cheap, never floods the queue. Call after commit."""
    if _claim_request():
        _enqueue()


def recover(sender: object = None, **signal: object) -> None:
    """django-q2's ``post_spawn`` receiver: catch up what a dead worker's lost tasks would
    have. Never raises: the worker must start even with the database or broker away."""
    if Conf.SYNC:
        return  # django-q2 runs its worker loop inline for every synchronous task: no start
    try:
        ProcessCatchUpRequest.objects.update_or_create(
            pk=REQUEST_ID, defaults={"requested_at": timezone.now()}
        )
        _enqueue()
    except Exception:
        logger.exception("could not enqueue the processes' catch-up as a worker started")


def acknowledge() -> None:
    """Called by a starting catch-up task: the next commit may enqueue another one."""
    ProcessCatchUpRequest.objects.filter(pk=REQUEST_ID).update(requested_at=None)


def _enqueue() -> None:
    try:
        async_task(CATCH_UP_TASK, group="processes")
    except Exception:
        if Conf.SYNC:
            raise
        # The command has committed: a broken broker must not fail it; the sweep runs.
        logger.exception("could not enqueue %s; the sweep will catch up", CATCH_UP_TASK)


def _claim_request() -> bool:
    now = timezone.now()
    free = Q(requested_at__isnull=True) | Q(requested_at__lt=now - STALE_AFTER)
    if ProcessCatchUpRequest.objects.filter(free, pk=REQUEST_ID).update(requested_at=now):
        return True
    _, created = ProcessCatchUpRequest.objects.get_or_create(
        pk=REQUEST_ID, defaults={"requested_at": now}
    )
    return created
