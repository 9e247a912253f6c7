"""The read side's metrics (Prometheus; served at /metrics by config/metrics.py):
batch durations as they happen (``BATCH_SECONDS``, kept by the engine), and, computed
at scrape time, every projection's and process's lag, rebuild progress and stuck
items."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from projections import desk
from projections.engine.status import projection_statuses
from projections.engine.throughput import BATCH_SECONDS

__all__ = ["BATCH_SECONDS", "ReadSideCollector"]


class ReadSideCollector(Collector):
    """What the state rows say now: asked at each scrape, so every host's /metrics
    tells the same truth about the shared database."""

    def collect(self) -> Iterator[Metric]:
        events = GaugeMetricFamily(
            "chronicle_lag_events",
            "Events a reader is behind the log's head.",
            labels=["reader", "kind"],
        )
        seconds = GaugeMetricFamily(
            "chronicle_lag_seconds",
            "Seconds since the oldest event a reader has not read yet was recorded.",
            labels=["reader", "kind"],
        )
        rebuild = GaugeMetricFamily(
            "chronicle_rebuild_progress_ratio",
            "How far a running rebuild has read, 0 to 1.",
            labels=["projection"],
        )
        for status in projection_statuses():
            kind = "process" if status.kind == "subscriber" else "projection"
            events.add_metric([status.name, kind], status.lag_events)
            seconds.add_metric([status.name, kind], status.lag_seconds)
            if status.rebuild is not None:
                done, total = status.rebuild.done, status.rebuild.total
                rebuild.add_metric([status.name], done / total if total else 1.0)
        stuck = GaugeMetricFamily(
            "chronicle_stuck_items",
            "Items on the dead-letter desk (stopped projections, parked process work).",
            labels=["reader", "kind"],
        )
        counts: dict[tuple[str, str], int] = {}
        for item in desk.stuck(with_events=False):
            counts[item.reader, item.kind] = counts.get((item.reader, item.kind), 0) + 1
        for (reader, kind), count in sorted(counts.items()):
            stuck.add_metric([reader, kind], count)
        yield from (events, seconds, rebuild, stuck)
