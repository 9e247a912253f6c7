"""The webhooks' metrics (Prometheus; served at /metrics by config/metrics.py). Each
subscription's lag in the log is the process runner's, shown as any subscriber's:
``chronicle_lag_events{reader="webhook:<id>"}`` (projections/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DELIVERIES = Counter(
    "chronicle_webhook_deliveries",
    "Webhook delivery attempts, by outcome: delivered (2xx), rejected (another status), "
    "unreachable (no answer in time) or refused (a forbidden address).",
    ["outcome"],
)
DELIVERY_LAG = Histogram(
    "chronicle_webhook_delivery_lag_seconds",
    "Seconds from an event's recording to its target's 2xx.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
