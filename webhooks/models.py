"""Webhook subscriptions and the streams whose delivery is held back.

A subscription's place in the log (checkpoint, lease, last failure) is the
``ProcessState`` row named ``webhook:<id>``: its delivery runner is a subscriber of the
process runner (``orders.processes.runner``), as fulfillment is.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, QuerySet

STATE_PREFIX = "webhook:"


class Subscription(models.Model):
    """Where to POST which events, signed with the subscription's own secret."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    target_url = models.URLField(max_length=2000)
    # Empty: every event type (or stream type); otherwise the names wanted.
    event_types = models.JSONField(default=list, blank=True)
    stream_types = models.JSONField(default=list, blank=True)
    include_personal = models.BooleanField(
        default=False, help_text="Send personal fields as they read; masked otherwise."
    )
    active = models.BooleanField(default=True, help_text="A paused subscription keeps its place.")
    description = models.CharField(max_length=200, blank=True)
    # The Standard Webhooks secret, AES-GCM under KEY_ENCRYPTION_KEY (webhooks.signing).
    sealed_secret = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        permissions = [("manage_webhooks", "Can register, pause and delete webhook subscriptions")]

    def __str__(self) -> str:
        return f"{self.target_url} ({'active' if self.active else 'paused'})"

    @property
    def state_name(self) -> str:
        return f"{STATE_PREFIX}{self.id}"

    def wants(self, event_type: str, stream_type: str) -> bool:
        return (not self.event_types or event_type in self.event_types) and (
            not self.stream_types or stream_type in self.stream_types
        )


class HeldStream(models.Model):
    """A stream whose event at ``failed_version`` the target has not taken yet: it is
    retried with backoff, then parked (``retry_at`` None) until staff retry or skip it
    on the dead-letter desk. The stream's later wanted events, up to ``seen_version``,
    wait behind it, so each stream reaches the target in version order."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="held")
    stream_id = models.CharField(max_length=200)
    failed_version = models.BigIntegerField()
    failed_event_type = models.CharField(max_length=200)
    seen_version = models.BigIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    failing_since = models.DateTimeField()
    parked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "stream_id"], name="webhook_held_once")
        ]
        indexes = [models.Index(fields=["subscription", "retry_at"], name="webhook_held_due")]

    def __str__(self) -> str:
        return f"{self.stream_id} v{self.failed_version} for {self.subscription_id}"


class WebhookCatchUpRequest(models.Model):
    """A single row saying the webhooks' catch-up task is queued and not yet started."""

    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"catch-up requested at {self.requested_at}" if self.requested_at else "idle"


def with_held_counts(subscriptions: QuerySet[Subscription]) -> QuerySet[Subscription]:
    """Each subscription with ``held_streams`` (streams whose next event the target has
    not taken) and ``parked`` (of those, the ones out of automatic attempts)."""
    return subscriptions.annotate(
        held_streams=Count("held"), parked=Count("held", filter=Q(held__retry_at__isnull=True))
    )
