"""The event store's metrics (Prometheus; served at /metrics by config/metrics.py)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import Counter

EVENTS_APPENDED = Counter(
    "chronicle_events_appended", "Events appended (committed), by type.", ["event_type"]
)


def appended(event_types: Iterable[str]) -> None:
    for event_type, count in Tally(event_types).items():
        EVENTS_APPENDED.labels(event_type).inc(count)
