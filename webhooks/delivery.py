"""Delivering events to a subscription's target: one subscriber of the process runner
per subscription (docs/architecture.md, "Webhooks").

The runner (``orders.processes.runner``) gives each subscription what it gives
fulfillment: a checkpoint in the log's safe read order, one runner at a time across
every worker (its lease), a commit of the checkpoint after every event, and parking.
So a worker killed mid-delivery delivers that one event again, and nothing else.

Each matching event is POSTed as JSON in the shape ``/api/events/`` returns, signed
with the Standard Webhooks scheme. ``webhook-id`` derives from the subscription and the
event, so every retry of an event to a subscription carries the same id and a receiver
deduplicates on it. A delivery that fails (no 2xx in time, or a refused address) holds
its stream: the stream's later events wait behind it (``HeldStream``) while other
streams flow on; it is retried with exponential backoff and jitter, and after
``WEBHOOKS_MAX_ATTEMPTS`` it is parked on the dead-letter desk until staff retry or
skip it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from opentelemetry import propagate, trace
from standardwebhooks import Webhook

from eventstore import store
from eventstore.store import RecordedEvent
from projections.api.serializers import LogEventOut
from projections.event_catalog import masked
from webhooks import dispatch, metrics, signing, targets
from webhooks.models import HeldStream, Subscription

tracer = trace.get_tracer("chronicle.webhooks")
PING = "webhook.ping"


class _Waiting(Exception):
    """The event's stream is held behind an earlier event that has not gone yet."""


@dataclass(frozen=True)
class ParkedDelivery:
    """A stream's event the target would not take, after every automatic attempt."""

    key: str  # the stream id
    event_type: str
    version: int
    error: str
    attempts: int
    retry_at: dt.datetime | None
    parked_at: dt.datetime | None
    step: str = "deliver"

    @property
    def stream_id(self) -> str:
        return self.key


def subscribers() -> list[WebhookDelivery]:
    """The process runner's provider: one subscriber per subscription, paused included
    (the health views show them; the tasks run only the active ones)."""
    return [WebhookDelivery(s) for s in Subscription.objects.all()]


def delivery_id(subscription_id: UUID, event_id: UUID) -> str:
    """The ``webhook-id`` of an event to a subscription: the same at every attempt."""
    return f"msg_{uuid5(NAMESPACE_URL, f'chronicle:{subscription_id}:{event_id}').hex}"


def event_body(subscription: Subscription, recorded: RecordedEvent) -> dict[str, Any]:
    """The event as ``/api/events/`` shows it; personal fields masked unless wanted."""
    body: dict[str, Any] = dict(LogEventOut().to_representation(recorded))
    if not subscription.include_personal:
        body["data"] = masked(recorded.event_type, dict(recorded.data))
    return body


def send(
    subscription: Subscription,
    message_id: str,
    body: dict[str, Any],
    *,
    secret: str | None = None,
    recorded: RecordedEvent | None = None,
) -> targets.Answer:
    """Sign and POST one message; raises ``targets.DeliveryFailed`` (or ``TargetRefused``)
    unless the target answers 2xx."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    now = timezone.now()
    key = secret or signing.open_sealed(subscription.sealed_secret, subscription.id)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Chronicle-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(key).sign(message_id, now, text),
    }
    attributes = {
        "chronicle.webhook.subscription_id": str(subscription.id),
        "chronicle.webhook.id": message_id,
        "url.full": subscription.target_url,
    }
    if recorded is not None:
        headers["X-Chronicle-Event-ID"] = str(recorded.event_id)
        attributes["chronicle.event_id"] = str(recorded.event_id)
        if recorded.correlation_id is not None:
            headers["X-Correlation-ID"] = str(recorded.correlation_id)
            attributes["chronicle.correlation_id"] = str(recorded.correlation_id)
        if recorded.metadata.get("trace_id"):
            # The command's trace, which the event records: the two traces find each other.
            attributes["chronicle.event_trace_id"] = str(recorded.metadata["trace_id"])
    with tracer.start_as_current_span("webhook deliver", attributes=attributes) as span:
        propagate.inject(headers)
        try:
            answer = targets.post(subscription.target_url, text.encode(), headers)
        except targets.TargetRefused:
            metrics.DELIVERIES.labels("refused").inc()
            raise
        except targets.DeliveryFailed:
            metrics.DELIVERIES.labels("unreachable").inc()
            raise
        span.set_attribute("http.response.status_code", answer.status)
    if not 200 <= answer.status < 300:
        metrics.DELIVERIES.labels("rejected").inc()
        # The status only: an answer's body may echo the event, personal fields and all,
        # and the error is kept (and shown on the desk) long after.
        raise targets.DeliveryFailed(f"the target answered {answer.status}")
    metrics.DELIVERIES.labels("delivered").inc()
    return answer


def ping(subscription: Subscription) -> targets.Answer:
    """A signed test message, outside the log (``POST /api/webhooks/{id}/test``)."""
    body = {
        "event_type": PING,
        "subscription_id": str(subscription.id),
        "sent_at": timezone.now().isoformat(),
    }
    return send(subscription, f"msg_{uuid4().hex}", body)


def retry_wait(attempts: int) -> dt.timedelta:
    """Exponential backoff with jitter: about base × 2^(attempts-1), capped, drawn from
    its upper half so that many held streams do not retry in step."""
    ceiling = min(
        settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.WEBHOOKS_RETRY_MAX_SECONDS,
    )
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))


class WebhookDelivery:
    """The process runner's ``Subscriber`` for one subscription."""

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        self.name = subscription.state_name
        self._secret: str | None = None

    def wants(self, recorded: RecordedEvent) -> bool:
        return self.subscription.wants(recorded.event_type, recorded.stream_type)

    def react(self, recorded: RecordedEvent) -> Callable[[], None]:
        held = self._held().filter(stream_id=recorded.stream_id).first()
        if held is not None and held.failed_version != recorded.version:
            raise _Waiting(recorded.stream_id)
        if self._secret is None:
            self._secret = signing.open_sealed(
                self.subscription.sealed_secret, self.subscription.id
            )
        send(
            self.subscription,
            delivery_id(self.subscription.id, recorded.event_id),
            event_body(self.subscription, recorded),
            secret=self._secret,
            recorded=recorded,
        )
        metrics.DELIVERY_LAG.observe(
            max((timezone.now() - recorded.recorded_at).total_seconds(), 0.0)
        )
        if held is None:
            return _nothing
        return lambda: self._go_past(held.pk)

    def park(self, recorded: RecordedEvent, error: Exception) -> Callable[[], None]:
        if isinstance(error, _Waiting):
            return lambda: self._wait_behind(recorded)
        return lambda: self._failed(recorded, f"{type(error).__name__}: {error}")

    def due(self, now: dt.datetime, limit: int) -> list[RecordedEvent]:
        rows = self._held().filter(retry_at__lte=now).order_by("retry_at", "pk")[:limit]
        return [_event_at(row.stream_id, row.failed_version) for row in rows]

    def parked(self) -> list[ParkedDelivery]:
        rows = self._held().filter(retry_at__isnull=True).order_by("parked_at", "pk")
        return [
            ParkedDelivery(
                row.stream_id,
                row.failed_event_type,
                row.failed_version,
                row.error,
                row.attempts,
                row.retry_at,
                row.parked_at,
            )
            for row in rows
        ]

    def retry(self, key: str) -> bool:
        """Try the parked stream's event again at the runner's next batch."""
        found = bool(self._held().filter(stream_id=key).update(retry_at=timezone.now()))
        if found:
            transaction.on_commit(dispatch.wake)
        return found

    def skip(self, key: str) -> RecordedEvent | None:
        """Pass over the parked event for good; the stream's later events go on."""
        held = self._held().select_for_update().filter(stream_id=key).first()
        if held is None:
            return None
        skipped = _event_at(held.stream_id, held.failed_version)
        self._go_past(held.pk)
        transaction.on_commit(dispatch.wake)
        return skipped

    def _held(self) -> Any:
        return HeldStream.objects.filter(subscription_id=self.subscription.id)

    def _wait_behind(self, recorded: RecordedEvent) -> None:
        held = self._held().select_for_update().get(stream_id=recorded.stream_id)
        held.seen_version = max(held.seen_version, recorded.version)
        held.save(update_fields=["seen_version"])

    def _failed(self, recorded: RecordedEvent, error: str) -> None:
        now = timezone.now()
        held, created = (
            self._held()
            .select_for_update()
            .get_or_create(
                stream_id=recorded.stream_id,
                defaults={
                    "subscription_id": self.subscription.id,
                    "failed_version": recorded.version,
                    "failed_event_type": recorded.event_type,
                    "seen_version": recorded.version,
                    "failing_since": now,
                },
            )
        )
        held.attempts += 1
        held.error = error
        if held.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
            held.retry_at, held.parked_at = None, held.parked_at or now
        else:
            held.retry_at = now + retry_wait(held.attempts)
        held.save()

    def _go_past(self, held_pk: int) -> None:
        """The held event is done (delivered or skipped): hold at the next event that
        waited behind it, due at once, or let the stream go."""
        held = HeldStream.objects.select_for_update().get(pk=held_pk)
        waiting = [
            recorded
            for recorded in store.read_stream(
                held.stream_id, from_version=held.failed_version + 1, to_version=held.seen_version
            )
            if self.wants(recorded)
        ]
        if not waiting:
            held.delete()
            return
        now = timezone.now()
        held.failed_version, held.failed_event_type = waiting[0].version, waiting[0].event_type
        held.attempts, held.error, held.parked_at = 0, "", None
        held.retry_at = held.failing_since = now
        held.save()


def _nothing() -> None:
    return None


def _event_at(stream_id: str, version: int) -> RecordedEvent:
    return store.read_stream(stream_id, from_version=version, to_version=version)[0]
