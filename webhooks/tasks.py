"""The webhooks' django-q2 tasks, run by the webhooks' own cluster (``dispatch.CLUSTER``).

``catch_up`` (woken after commits, and every minute by the sweep) enqueues one
``deliver`` per active subscription, so subscriptions run side by side on the
cluster's workers and a slow target holds up only its own. ``deliver`` runs its
subscription's batches for about ``WEBHOOKS_SECONDS_PER_TASK``, waiting for a retry
that falls due within that time, and enqueues its successor if it is still behind.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone

from orders.processes import runner
from orders.processes.state import ProcessState
from webhooks import delivery, dispatch
from webhooks.models import HeldStream, Subscription

DELIVER_TASK = "webhooks.tasks.deliver"


def catch_up() -> int:
    """Enqueue a delivery run for every active subscription; how many."""
    dispatch.acknowledge()
    active = [
        str(pk) for pk in Subscription.objects.filter(active=True).values_list("pk", flat=True)
    ]
    for subscription_id in active:
        dispatch.run(DELIVER_TASK, subscription_id)
    return len(active)


def deliver(subscription_id: str) -> int:
    """Deliver what the subscription has not had yet; returns the events handled."""
    deadline = time.monotonic() + settings.WEBHOOKS_SECONDS_PER_TASK
    handled = 0
    wait: float | None = None
    while True:
        subscription = Subscription.objects.filter(pk=subscription_id, active=True).first()
        if subscription is None:
            return handled  # deleted or paused: it resumes from its checkpoint
        result = runner.run_batch(delivery.WebhookDelivery(subscription))
        handled += result.events
        if result.may_have_more and time.monotonic() < deadline:
            continue
        wait = _until_next_attempt(subscription)
        if wait is None or time.monotonic() + wait >= deadline:
            break
        time.sleep(max(wait, 0.05))
    # Still behind, or a retry falls due before the sweep would come: a successor waits
    # for it. A longer wait is the every-minute sweep's.
    soon = wait is not None and wait < settings.WEBHOOKS_SECONDS_PER_TASK
    if result.may_have_more or soon:
        dispatch.run(DELIVER_TASK, subscription_id)
    return handled


def ping(subscription_id: str) -> int | None:
    """Send the subscription a signed test message; the status it answered, or None."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        return None
    try:
        return delivery.ping(subscription).status
    except (delivery.targets.DeliveryFailed, delivery.targets.TargetRefused):
        return None


def _until_next_attempt(subscription: Subscription) -> float | None:
    """Seconds until the subscription's next retry (a held stream, or the runner's own
    backoff); None when nothing waits for one."""
    times = [
        t
        for t in (
            HeldStream.objects.filter(subscription=subscription, retry_at__isnull=False)
            .order_by("retry_at")
            .values_list("retry_at", flat=True)
            .first(),
            ProcessState.objects.filter(name=subscription.state_name, error_position__isnull=False)
            .values_list("retry_at", flat=True)
            .first(),
        )
        if t is not None
    ]
    return min(times).timestamp() - timezone.now().timestamp() if times else None
