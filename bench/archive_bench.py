"""Archival benchmark: what moving closed streams to archive segments saves and costs.

On the projections benchmark's shop history (``--events``), archives the oldest closed
order streams until about a third of the log has moved, and prints: the event table's
size with its indexes before and after (PostgreSQL, after ``VACUUM FULL``, as an
operator reclaiming the space would run it; SQLite: the database file), the segments'
size, loading an archived order (first load, which reads its segment, and later ones)
against loading a hot one, and a rebuild of every projection with a third of the log
archived against the same rebuild before (the faster of two each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid

from django.db import connection
from django.utils import timezone

from bench import MS, RATE, Row
from bench.projections_bench import (
    _rebuild,
    _retire_old_generations,
    _seconds,
    _wait_for_horizon,
    generate,
)
from eventstore import archive
from eventstore.models import ArchiveSegment, Event
from eventstore.repository import Repository
from orders.order import Order

LOADS = 50


def run(options: argparse.Namespace) -> list[Row]:
    events = generate(options.events)
    _wait_for_horizon()
    before_bytes = _table_bytes()
    rebuild_before = events / _fastest_rebuild()

    chosen = _oldest_closed_orders(events // 3)
    segment = archive.archive_streams(chosen)
    after_bytes = _table_bytes()
    archived_bytes = archive.storage().size(segment.name)
    hot_order = Event.objects.filter(stream_type="order").exclude(stream_id__in=chosen).first()
    assert hot_order is not None
    hot_ms = _load_ms(hot_order.stream_id)
    archive._read_segment.cache_clear()
    cold_ms = _load_ms(chosen[0], times=1)
    warm_ms = _load_ms(chosen[1])
    rebuild_after = events / _fastest_rebuild()
    share = 100 * ArchiveSegment.objects.get().events / events
    return [
        Row("hot-before", "event table + indexes before", before_bytes / 2**20, "MB"),
        Row(
            "hot-after",
            f"event table + indexes with {share:.0f}% archived",
            after_bytes / 2**20,
            "MB",
            "hot-before",
        ),
        Row(
            "segment", f"archive segment ({segment.events:,} events)", archived_bytes / 2**20, "MB"
        ),
        Row("load-hot", "load a hot order", hot_ms, MS),
        Row("load-cold", "load an archived order, first (reads its segment)", cold_ms, MS),
        Row("load-warm", "load an archived order, segment cached", warm_ms, MS, "load-hot"),
        Row(
            "rebuild-before", f"rebuild every projection ({events:,} events)", rebuild_before, RATE
        ),
        Row(
            "rebuild-after",
            f"the same rebuild with {share:.0f}% archived",
            rebuild_after,
            RATE,
            "rebuild-before",
        ),
    ]


def _fastest_rebuild(times: int = 2) -> float:
    """Seconds of the fastest of ``times`` rebuilds of every projection (the first one
    also warms the caches)."""
    seconds = []
    for _ in range(times):
        _retire_old_generations()
        seconds.append(_seconds(_rebuild))
    return min(seconds)


def _oldest_closed_orders(events: int) -> list[str]:
    """Closed order streams, oldest last event first, until they hold ``events``."""
    closed = set(archive.closed_streams(timezone.now() + dt.timedelta(seconds=1)))
    chosen, total = [], 0
    counts: dict[str, int] = {}
    for stream_id, stream_type in Event.objects.order_by("position").values_list(
        "stream_id", "stream_type"
    ):
        if stream_type == "order" and stream_id in closed:
            counts[stream_id] = counts.get(stream_id, 0) + 1
    for stream_id, count in counts.items():
        if total >= events:
            break
        chosen.append(stream_id)
        total += count
    return chosen


def _table_bytes() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM FULL eventstore_event")
            cursor.execute("SELECT pg_total_relation_size('eventstore_event')")
        else:
            cursor.execute("VACUUM")
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name IN"
                " (SELECT name FROM sqlite_master WHERE tbl_name = 'eventstore_event')"
            )
        return int(cursor.fetchone()[0])


def _load_ms(stream_id: str, times: int = LOADS) -> float:
    repository = Repository(Order, snapshot_every=0)
    order_id = uuid.UUID(stream_id.removeprefix("order-"))
    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        repository.load(order_id)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1000
