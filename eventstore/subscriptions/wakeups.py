"""Waking a group of log readers (the projections, the process managers) after a commit.

``wake`` runs after a command commits (``EVENTSTORE_AFTER_COMMIT``: with a broker that
has no receipts, such as Redis, a task enqueued inside the transaction could run
before the events exist), on the process's after-commit thread
(``eventstore.after_commit``), which coalesces the wakes of a burst of commits. It
enqueues one catch-up task unless one is queued and not yet started: a single request
row is claimed with a conditional UPDATE, and the task clears it as it starts
(``acknowledge``), so a command committed after that start enqueues the next task and
no wake-up is lost. A claim older than ``STALE_AFTER`` counts as lost (a broker that
dropped the task) and is taken over.

Tasks die with the worker that had taken them: the ORM broker hands them out again
only after ``Q_CLUSTER["retry"]`` (90 s), Redis never (it has no acknowledgements).
So every worker process enqueues a catch-up as it starts (``recover``, on django-q2's
``post_spawn``: a cluster starting, or a dead worker replaced), whatever the claim
says. An every-minute sweep schedule catches up whatever else a lost task missed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_q.conf import Conf

STALE_AFTER = dt.timedelta(seconds=5)
REQUEST_ID = 1

logger = logging.getLogger(__name__)


class WakeUps:
    """The wake-ups of one group: its request table, its task and its queue group.

    ``enqueue`` is django-q2's ``async_task`` (passed in, so the owner decides which
    broker call runs and tests can replace it). ``cluster`` names the django-q2 cluster
    (one of ``Q_CLUSTER["ALT_CLUSTERS"]``) whose workers run the task; None, the main one.
    A worker recovers only its own cluster's group.
    """

    def __init__(
        self,
        request: type[models.Model],
        task: str,
        group: str,
        enqueue: Callable[..., Any],
        cluster: str | None = None,
    ) -> None:
        self.request, self.task, self.group, self.enqueue = request, task, group, enqueue
        self.cluster = cluster

    def wake(self) -> None:
        """Ask for a catch-up run; cheap, never floods the queue. Call after commit."""
        if self._claim():
            self._enqueue()

    def recover(self, sender: object = None, **signal: object) -> None:
        """django-q2's ``post_spawn`` receiver. Never raises: the worker must start even
        with the database or the broker away (the sweep catches up then)."""
        if Conf.SYNC:
            return  # django-q2 runs its worker loop inline for every synchronous task
        if not self._runs_here():
            return  # a worker of another cluster: its tasks would land on its own queue
        try:
            self.request._default_manager.update_or_create(
                pk=REQUEST_ID, defaults={"requested_at": timezone.now()}
            )
            self._enqueue()
        except Exception:
            logger.exception("could not enqueue %s as a worker started", self.task)

    def _runs_here(self) -> bool:
        """Whether this worker's cluster is the group's: the named one, or for the main
        cluster (whatever its ``cluster_name``) any that is not an alternative one."""
        cluster: dict[str, Any] = settings.Q_CLUSTER
        alternatives = cluster.get("ALT_CLUSTERS") or {}
        if self.cluster is None:
            return Conf.CLUSTER_NAME not in alternatives
        return Conf.CLUSTER_NAME == self.cluster

    def acknowledge(self) -> None:
        """Called by a starting catch-up task: the next commit may enqueue another one."""
        self.request._default_manager.filter(pk=REQUEST_ID).update(requested_at=None)

    def _enqueue(self) -> None:
        try:
            if self.cluster is None:
                self.enqueue(self.task, group=self.group)
            else:
                self.enqueue(self.task, group=self.group, cluster=self.cluster)
        except Exception:
            if Conf.SYNC:
                raise
            # The command has committed: a broken broker must not fail it. The sweep
            # (and the stale-claim takeover) will run the catch-up instead.
            logger.exception("could not enqueue %s; the sweep will catch up", self.task)

    def _claim(self) -> bool:
        now = timezone.now()
        free = Q(requested_at__isnull=True) | Q(requested_at__lt=now - STALE_AFTER)
        if self.request._default_manager.filter(free, pk=REQUEST_ID).update(requested_at=now):
            return True
        _, created = self.request._default_manager.get_or_create(
            pk=REQUEST_ID, defaults={"requested_at": now}
        )
        return created
