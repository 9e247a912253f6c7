"""Archival: whole closed streams move from the hot table into compressed, immutable
segments, and every read of the store still sees them.

A segment is JSON Lines compressed with zstd, one stored row a line, in the log's read
order, written through Django's storage API (``STORAGES[settings.ARCHIVE_STORAGE]``:
a directory by default, any S3-compatible store through django-storages), with a
manifest beside it (streams, versions, positions, counts, the file's SHA-256 and each
stream's chain head). JSON Lines rather than Parquet: the rows' ``data`` and
``metadata`` stay byte for byte the JSON text that was stored (invariant 6 and the
chain hashes need exactly that), any tool can read the file back, and no columnar
engine is needed to serve one stream.

``archive_streams`` writes a segment, reads it back and compares it with the rows
before anything leaves the hot table; then, in one transaction, it records the
segment as verified and the streams as archived, and deletes their rows: the one
delete the append-only triggers allow (``eventstore/guards.py``), for rows of a stream
archived in a verified segment, at or below its archived version. An archived stream
stays closed: the append guard refuses it (``StreamArchived``).

Reads (``eventstore.store``) fall back to the segments: a stream with no hot rows is
looked up here; ``read_all`` merges the segments after its checkpoint into the hot
log's read order, so a rebuild and an /api/events/ follower see the log as it was.
See docs/architecture.md, invariant 16.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

import zstandard
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from eventstore import recorders
from eventstore.models import ArchivedStream, ArchiveSegment
from eventstore.recorders.base import COLUMNS, SNAPSHOT_TABLE, TABLE, native_row, uuid_value
from eventstore.records import Checkpoint

# Stream types and the event types that close a stream of that type: a stream whose
# last event is one of them is closed for good, and may be archived once it is old
# enough. Registered by the domain (orders/apps.py), in one place.
_closing: dict[str, frozenset[str]] = {}
# Streams per DELETE and per query naming streams.
CHUNK = 500
# Segments kept decoded in memory, per process.
CACHED_SEGMENTS = 8


class ArchiveCorrupted(Exception):
    """A segment's file does not match its recorded SHA-256 (or cannot be read)."""


class ArchiveRaced(Exception):
    """A stream changed while it was being archived: nothing was deleted."""


def close_streams(stream_type: str, *, after: Iterable[str]) -> None:
    """Declare that a ``stream_type`` stream is closed once its last event is one of
    ``after`` (e.g. an order after OrderShipped, OrderCancelled or OrderRefunded)."""
    _closing[stream_type] = frozenset(after)


def closing_events() -> dict[str, frozenset[str]]:
    return dict(_closing)


def storage() -> Storage:
    return storages[settings.ARCHIVE_STORAGE]


def closed_streams(closed_before: dt.datetime, *, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The hot streams that are closed and whose last event is older than
    ``closed_before``, in stream order."""
    found: list[str] = []
    connection = connections[using]
    for stream_type, events in sorted(_closing.items()):
        marks = ",".join(["%s"] * len(events))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.stream_id FROM {TABLE} AS e JOIN ("
                f"SELECT stream_id, MAX(version) AS version FROM {TABLE}"
                f" WHERE stream_type = %s GROUP BY stream_id) AS head"
                " ON e.stream_id = head.stream_id AND e.version = head.version"
                f" WHERE e.event_type IN ({marks}) AND e.recorded_at < %s ORDER BY e.stream_id",
                [
                    stream_type,
                    *sorted(events),
                    connection.ops.adapt_datetimefield_value(closed_before),
                ],
            )
            found += [row[0] for row in cursor.fetchall()]
    return found


# The rows, as stored and as a segment holds them


def _hot_rows(stream_ids: list[str], using: str) -> list[tuple[Any, ...]]:
    """The streams' stored rows in the read order, in the store's row shape with
    Python values (UUIDs, aware instants), ``data`` and ``metadata`` as stored text."""
    connection = connections[using]
    recorder = recorders.for_connection(connection)
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(stream_ids), CHUNK):
        part = stream_ids[start : start + CHUNK]
        with connection.cursor() as cursor:
            recorder.prepare_read(cursor)
            cursor.execute(
                f"SELECT {COLUMNS} FROM {TABLE}"
                f" WHERE stream_id IN ({','.join(['%s'] * len(part))})",
                part,
            )
            rows += [native_row(row) for row in cursor.fetchall()]
    return sorted(rows, key=_order)


def _order(row: tuple[Any, ...]) -> tuple[int, int]:
    return (row[12], row[0])


def _line(row: tuple[Any, ...]) -> dict[str, Any]:
    pos, event_id, stream, stream_type, type_, schema, data, meta, version, at = row[:10]
    corr, caus, tx, h = row[10:]
    return {
        "position": pos,
        "tx_id": tx,
        "event_id": str(event_id),
        "stream_id": stream,
        "stream_type": stream_type,
        "event_type": type_,
        "schema_version": schema,
        "version": version,
        "recorded_at": at.astimezone(dt.UTC).isoformat(),
        "correlation_id": corr and str(corr),
        "causation_id": caus and str(caus),
        "chain_hash": h,
        "data": data,
        "metadata": meta,
    }


def _row(line: dict[str, Any]) -> tuple[Any, ...]:
    return (
        line["position"],
        UUID(line["event_id"]),
        line["stream_id"],
        line["stream_type"],
        line["event_type"],
        line["schema_version"],
        line["data"],
        line["metadata"],
        line["version"],
        dt.datetime.fromisoformat(line["recorded_at"]),
        uuid_value(line["correlation_id"]),
        uuid_value(line["causation_id"]),
        line["tx_id"],
        line["chain_hash"],
    )


@dataclass(frozen=True)
class Segment:
    """A segment's rows, decoded: in the read order, and by stream."""

    rows: list[tuple[Any, ...]]
    keys: list[tuple[int, int]]
    by_stream: dict[str, list[tuple[Any, ...]]]


def _encode(rows: list[tuple[Any, ...]]) -> bytes:
    text = "\n".join(json.dumps(_line(row), ensure_ascii=False) for row in rows)
    return zstandard.ZstdCompressor(level=10).compress(text.encode())


def _decode(content: bytes) -> Segment:
    text = zstandard.ZstdDecompressor().decompress(content).decode()
    rows = sorted((_row(json.loads(line)) for line in text.splitlines() if line), key=_order)
    by_stream: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_stream.setdefault(row[2], []).append(row)
    for stream_rows in by_stream.values():
        stream_rows.sort(key=lambda row: row[8])
    return Segment(rows, [_order(row) for row in rows], by_stream)


def read_segment(name: str, sha256: str, *, cached: bool = True) -> Segment:
    """The segment's rows, checked against its SHA-256 (cached per process, unless
    ``cached`` is false: verification reads the file afresh)."""
    if not cached:
        return _read_segment.__wrapped__(settings.ARCHIVE_STORAGE, name, sha256)
    return _read_segment(settings.ARCHIVE_STORAGE, name, sha256)


@lru_cache(maxsize=CACHED_SEGMENTS)
def _read_segment(alias: str, name: str, sha256: str) -> Segment:
    try:
        with storages[alias].open(name) as handle:
            content = handle.read()
    except OSError as error:
        raise ArchiveCorrupted(f"archive segment {name} cannot be read: {error}") from error
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ArchiveCorrupted(f"archive segment {name} does not match its SHA-256")
    return _decode(content)


# Archiving


def archive_streams(stream_ids: list[str], *, using: str = DEFAULT_DB_ALIAS) -> ArchiveSegment:
    """Move ``stream_ids`` (closed streams) into a new segment; see the module's text."""
    from eventstore import sealing  # sealing reads the log through the store

    rows = _hot_rows(stream_ids, using)
    if not rows:
        raise ValueError("nothing to archive: none of the streams has events")
    last = ArchiveSegment.objects.using(using).order_by("-number").first()
    number = (last.number if last else 0) + 1
    content = _encode(rows)
    sha256 = hashlib.sha256(content).hexdigest()
    name = storage().save(f"segment-{number:06d}.jsonl.zst", ContentFile(content))
    manifest = _manifest(number, name, sha256, rows)
    storage().save(f"{name}.manifest.json", ContentFile(json.dumps(manifest, indent=1)))
    # Read back from the storage, not from memory, before a row leaves the table.
    _read_segment.cache_clear()
    if read_segment(name, sha256).rows != rows:
        raise ArchiveCorrupted(f"archive segment {name} reads back differently; nothing deleted")
    heads = manifest["streams"]
    with transaction.atomic(using=using):
        connection = connections[using]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # No append may slip in between the check below and the delete.
                cursor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
            versions = _per_stream(cursor, "MAX(version)", stream_ids)
            if versions != {s: h["versions"][1] for s, h in heads.items()}:
                raise ArchiveRaced("a stream changed while it was archived; run again")
            segment = ArchiveSegment.objects.using(using).create(
                number=number,
                name=name,
                sha256=sha256,
                events=len(rows),
                first_tx_id=rows[0][12],
                first_position=rows[0][0],
                last_tx_id=rows[-1][12],
                last_position=rows[-1][0],
                min_position=min(row[0] for row in rows),
                max_position=max(row[0] for row in rows),
                created_at=timezone.now(),
                verified_at=timezone.now(),
                manifest=manifest,
            )
            ArchivedStream.objects.using(using).bulk_create(
                ArchivedStream(
                    stream_id=stream,
                    segment=segment,
                    version=head["versions"][1],
                    head_hash=head["head"],
                )
                for stream, head in heads.items()
            )
            for start in range(0, len(stream_ids), CHUNK):
                part = stream_ids[start : start + CHUNK]
                marks = ",".join(["%s"] * len(part))
                cursor.execute(f"DELETE FROM {TABLE} WHERE stream_id IN ({marks})", part)
                # Snapshots are a cache; an archived stream loads from its segment.
                cursor.execute(f"DELETE FROM {SNAPSHOT_TABLE} WHERE stream_id IN ({marks})", part)
        sealing.take_seal(
            using=using,
            archived={s: [number, h["versions"][1], h["head"]] for s, h in heads.items()},
        )
    return segment


def _per_stream(cursor: Any, aggregate: str, stream_ids: list[str]) -> dict[str, int]:
    """``aggregate`` (``MAX(version)``, ``COUNT(*)``) of each stream's rows."""
    found: dict[str, int] = {}
    for start in range(0, len(stream_ids), CHUNK):
        part = stream_ids[start : start + CHUNK]
        cursor.execute(
            f"SELECT stream_id, {aggregate} FROM {TABLE}"
            f" WHERE stream_id IN ({','.join(['%s'] * len(part))}) GROUP BY stream_id",
            part,
        )
        found.update(cursor.fetchall())
    return found


def _manifest(number: int, name: str, sha256: str, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    streams: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r[2], r[8])):
        entry = streams.setdefault(
            row[2], {"stream_type": row[3], "versions": [row[8], row[8]], "positions": []}
        )
        entry["versions"][1] = row[8]
        entry["positions"].append(row[0])
        entry["head"] = row[13]
        entry["events"] = len(entry["positions"])
    for entry in streams.values():
        entry["positions"] = [min(entry["positions"]), max(entry["positions"])]
    return {
        "number": number,
        "file": name,
        "sha256": sha256,
        "format": "JSON Lines, zstd; one stored event a line, in the log's read order",
        "events": len(rows),
        "first": list(_order(rows[0])),
        "last": list(_order(rows[-1])),
        "streams": streams,
    }


def in_segments(
    stream_ids: list[str], *, max_events: int, using: str = DEFAULT_DB_ALIAS
) -> list[list[str]]:
    """``stream_ids`` in groups of at most ``max_events`` events each (a stream longer
    than that goes alone): one segment a group, so a first read of an archived stream
    decodes a bounded file."""
    with connections[using].cursor() as cursor:
        counts = _per_stream(cursor, "COUNT(*)", stream_ids)
    groups: list[list[str]] = [[]]
    size = 0
    for stream in stream_ids:
        count = counts.get(stream, 0)
        if groups[-1] and size + count > max_events:
            groups.append([])
            size = 0
        groups[-1].append(stream)
        size += count
    return [group for group in groups if group]


# Reads


def stream_rows(stream_id: str, using: str = DEFAULT_DB_ALIAS) -> list[tuple[Any, ...]]:
    """An archived stream's rows in version order (none if it is not archived)."""
    # The segment's name and hash only: its manifest is as long as its streams.
    segment = (
        ArchivedStream.objects.using(using)
        .filter(stream_id=stream_id)
        .values_list("segment__name", "segment__sha256")
        .first()
    )
    if segment is None:
        return []
    return read_segment(*segment).by_stream.get(stream_id, [])


def archived_version(stream_id: str, using: str = DEFAULT_DB_ALIAS) -> int:
    return (
        ArchivedStream.objects.using(using)
        .filter(stream_id=stream_id)
        .values_list("version", flat=True)
        .first()
        or 0
    )


def rows_after(
    segments: Iterable[tuple[str, str, tuple[int, int]]],
    after: Checkpoint,
    limit: int,
    *,
    until: tuple[int, int] | None = None,
) -> list[tuple[Any, ...]]:
    """The first ``limit`` rows after ``after`` (and not past ``until``) in the read
    order, from the segments given as (name, sha256, first checkpoint). A segment
    that starts past what is wanted is not read: a rebuild keeps only the few it is
    passing through in memory."""
    found: list[tuple[Any, ...]] = []
    key = (after.tx_id, after.position)
    for name, sha256, first in sorted(segments, key=lambda segment: segment[2]):
        if until is not None and first > until:
            break
        if len(found) >= limit and first > _order(found[limit - 1]):
            break
        segment = read_segment(name, sha256)
        start = bisect.bisect_right(segment.keys, key)
        found = sorted([*found, *segment.rows[start : start + limit]], key=_order)[:limit]
    return found


def checkpoint_of(position: int, using: str = DEFAULT_DB_ALIAS) -> Checkpoint | None:
    segments = ArchiveSegment.objects.using(using).filter(
        min_position__lte=position, max_position__gte=position
    )
    for name, sha256 in segments.values_list("name", "sha256"):
        for row in read_segment(name, sha256).rows:
            if row[0] == position:
                return Checkpoint(row[12], row[0])
    return None


def archived_streams(
    wanted: set[str] | None, using: str = DEFAULT_DB_ALIAS
) -> dict[int, list[str]]:
    """The archived streams (``wanted`` ones, or all) by segment number."""
    archived = ArchivedStream.objects.using(using).order_by("stream_id")
    if wanted is not None:
        archived = archived.filter(stream_id__in=sorted(wanted))
    found: dict[int, list[str]] = {}
    for stream_id, segment in archived.values_list("stream_id", "segment_id"):
        found.setdefault(segment, []).append(stream_id)
    return found
