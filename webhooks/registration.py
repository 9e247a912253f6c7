"""Registering and deleting subscriptions, the same from the API and the admin."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from eventstore import store
from orders.processes.state import ProcessState
from webhooks import dispatch, signing
from webhooks.models import Subscription


def register(**fields: Any) -> tuple[Subscription, str]:
    """Save a new subscription with a fresh secret, at the log's head (it is sent what
    happens from now on); the subscription and its secret, to be shown once."""
    secret = signing.new_secret()
    subscription = Subscription(**fields)
    subscription.sealed_secret = signing.seal(secret, subscription.id)
    with transaction.atomic():
        subscription.save()
        head = store.head()
        ProcessState.objects.update_or_create(
            name=subscription.state_name,
            defaults={"tx_id": head.tx_id, "position": head.position},
        )
    dispatch.forget_flag()
    return subscription, secret


def switch(subscription: Subscription, *, active: bool) -> None:
    """Pause or resume; a resumed subscription goes on from its checkpoint."""
    Subscription.objects.filter(pk=subscription.pk).update(active=active)
    subscription.active = active
    dispatch.forget_flag()
    if active:
        transaction.on_commit(dispatch.wake)


def delete(subscription: Subscription) -> None:
    """The subscription, its place in the log and its held deliveries."""
    with transaction.atomic():
        ProcessState.objects.filter(name=subscription.state_name).delete()
        subscription.delete()  # its HeldStream rows cascade
    dispatch.forget_flag()
