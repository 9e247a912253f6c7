"""Wake the webhooks' delivery runners after a command commits, in the webhooks' own
django-q2 cluster (``CLUSTER``, ``manage.py webhooks_worker``), so a slow target never
takes a worker from the projections or the process managers. The rules of a wake-up:
``eventstore.subscriptions.wakeups``; ``recover`` is connected to django-q2's
``post_spawn`` in ``webhooks.apps``, the every-minute sweep is migration ``0001``.

With no active subscription a wake costs a look at a flag, refreshed every
``FLAG_SECONDS`` and at once when this process saves or deletes a subscription.
"""

from __future__ import annotations

import time
from typing import Any

from django_q.tasks import async_task

from eventstore.subscriptions.wakeups import WakeUps
from webhooks.models import Subscription, WebhookCatchUpRequest

CLUSTER = "webhooks"
CATCH_UP_TASK = "webhooks.tasks.catch_up"
FLAG_SECONDS = 5.0


def enqueue(*args: Any, **kwargs: Any) -> Any:
    return async_task(*args, **kwargs)  # looked up at call time: tests replace it


def run(task: str, *args: Any) -> Any:
    """Enqueue ``task`` for the webhooks' own cluster."""
    return enqueue(task, *args, group="webhooks", cluster=CLUSTER)


_wake_ups = WakeUps(
    WebhookCatchUpRequest, CATCH_UP_TASK, group="webhooks", enqueue=enqueue, cluster=CLUSTER
)
recover = _wake_ups.recover
acknowledge = _wake_ups.acknowledge

_checked_at = 0.0
_active = False


def forget_flag(**signal: object) -> None:
    """A subscription changed here: look again at the next wake."""
    global _checked_at
    _checked_at = 0.0


def wake() -> None:
    """After a commit: enqueue the webhooks' catch-up, if any subscription is active."""
    global _checked_at, _active
    if time.monotonic() - _checked_at > FLAG_SECONDS:
        _active = Subscription.objects.filter(active=True).exists()
        _checked_at = time.monotonic()
    if _active:
        _wake_ups.wake()
