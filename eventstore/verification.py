"""Prove the log untouched: recompute every chain hash and every seal.

``verify`` reads the stored rows as they are (no upcasting, no decryption: the hash
covers the ciphertext), stream by stream in version order, up to the log's head at
the start, and reports every break it finds, first in log order first:

- ``changed``: an event's data or metadata (or any hashed column) differs from what
  was recorded; its stored hash is vouched for by its successor or a seal.
- ``missing``: versions are missing from a stream, or a seal pins a newer head than
  the stream has (its newest events were deleted).
- ``inserted``: an event whose hash nothing vouches for (forged, or recorded with no
  chain hash after the genesis seal).
- ``reordered``: an event's hash is right for another version of its stream.
- ``stream_missing``: a sealed stream has no events at all.
- ``seal_changed`` / ``seal_missing``: a seal differs from its hash or its outside
  record, or seals are missing (in the middle, or the newest, which the outside
  records still list).

See docs/architecture.md, invariant 15.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from eventstore import archive, raw_log, recorders, sealing, store
from eventstore.models import ArchiveSegment, Seal, VerificationRun
from eventstore.raw_log import Row, hash_of, streams
from eventstore.recorders.base import TABLE
from eventstore.records import START, Checkpoint

KINDS = {
    "changed": "data or metadata changed",
    "missing": "events missing",
    "inserted": "event inserted",
    "reordered": "events reordered",
    "stream_missing": "stream missing since a seal",
    "seal_changed": "seal changed",
    "seal_missing": "seal missing",
    "archive_changed": "archive segment changed",
}
# How far (in versions) an event's hash is tried at other versions to tell a
# reordering from a change.
REORDER_WINDOW = 16


@dataclass(frozen=True)
class Break:
    kind: str
    stream_id: str
    version: int | None
    position: int | None
    detail: str

    def __str__(self) -> str:
        where = self.stream_id or "seals"
        if self.version is not None:
            where += f" version {self.version}"
        if self.position is not None:
            where += f" (position {self.position})"
        return f"{KINDS[self.kind]}: {where}: {self.detail}"


@dataclass
class Report:
    scope: str
    started_at: dt.datetime
    up_to: Checkpoint = START
    events: int = 0
    seals: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def first(self) -> Break | None:
        return min(self.breaks, key=log_order, default=None)

    @property
    def clean(self) -> bool:
        return not self.breaks


def log_order(found: Break) -> tuple[int, int, str, int]:
    # Seal breaks first (they say what the rest can be trusted against), then events
    # by position; a break with no position (a missing newest event) last.
    if found.kind.startswith("seal"):
        return (0, 0, "", 0)
    return (1, found.position or 2**63, found.stream_id, found.version or 0)


def verify(
    *,
    stream_id: str | None = None,
    since_seal: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Check the seals, then the streams (all of them; one; or, ``since_seal``, those
    sealed after seal N or written since the last seal), and record the run."""
    scope = (
        f"stream {stream_id}"
        if stream_id
        else f"since seal {since_seal}"
        if since_seal is not None
        else "whole log"
    )
    report = Report(scope, timezone.now())
    seals = list(Seal.objects.using(using).order_by("number"))
    report.seals = len(seals)
    report.breaks += check_seals(seals, sealing.outside_records())
    # Read after the seals, so every sealed event is at or before it.
    report.up_to = store.head(using=using)
    heads = sealing.heads_at(seals)
    genesis = sealing.heads_at(seals[:1])
    if stream_id is not None:
        wanted: set[str] | None = {stream_id}
    elif since_seal is not None:
        wanted = _streams_since(seals, since_seal, report.up_to, using)
    else:
        wanted = None
    seen: set[str] = set()
    for stream, rows in streams(report.up_to, wanted, using):
        seen.add(stream)
        report.events += len(rows)
        report.breaks += check_stream(rows, heads.get(stream), genesis.get(stream))
        if progress:
            progress(len(rows))
    report.breaks += _check_archive(report, wanted, seals, heads, genesis, seen, using)
    for stream in sorted((set(heads) if wanted is None else wanted & set(heads)) - seen):
        report.breaks.append(
            Break(
                "stream_missing",
                stream,
                None,
                None,
                f"sealed at version {heads[stream][0]}, and no event of it is stored",
            )
        )
    _record(report, using)
    return report


def _check_archive(
    report: Report,
    wanted: set[str] | None,
    seals: list[Seal],
    heads: dict[str, tuple[int, str]],
    genesis: dict[str, tuple[int, str]],
    seen: set[str],
    using: str,
) -> list[Break]:
    """Archived streams, read afresh from their segments: each segment against its
    SHA-256, each stream's chain against its seals, and against the segment the seals
    say it went to. A hot row of an archived stream is one inserted after archiving."""
    found: list[Break] = []
    sealed_in = sealing.archived_at(seals)
    segments = {s.number: s for s in ArchiveSegment.objects.using(using).defer("manifest")}
    for number, stream_ids in sorted(archive.archived_streams(wanted, using).items()):
        segment = segments[number]
        try:
            content = archive.read_segment(segment.name, segment.sha256, cached=False)
        except archive.ArchiveCorrupted as error:
            found.append(Break("archive_changed", "", None, None, str(error)))
            seen.update(stream_ids)
            continue
        for stream in stream_ids:
            rows = [raw_log.from_native(row) for row in content.by_stream.get(stream, [])]
            report.events += len(rows)
            if stream in seen:
                found.append(
                    Break("inserted", stream, None, None, "it has hot events after its archiving")
                )
            seen.add(stream)
            if sealed_in.get(stream, number) != number:
                found.append(
                    Break(
                        "archive_changed",
                        stream,
                        None,
                        None,
                        f"sealed as archived in segment {sealed_in[stream]}, found in {number}",
                    )
                )
            found += check_stream(rows, heads.get(stream), genesis.get(stream))
    return found


def check_seals(seals: list[Seal], outside: dict[int, str]) -> list[Break]:
    found: list[Break] = []

    def seal_break(kind: str, detail: str) -> None:
        found.append(Break(kind, "", None, None, detail))

    previous = ""
    for number, seal in enumerate(seals, start=1):
        if seal.number != number:
            seal_break("seal_missing", f"seal {number} is missing")
        if seal.previous_hash != previous or sealing.hash_of(seal) != seal.seal_hash:
            seal_break("seal_changed", f"seal {seal.number} fails its hash")
        record = outside.get(seal.number)
        if record is None:
            seal_break("seal_missing", f"seal {seal.number} has no record outside the database")
        elif record != seal.seal_hash:
            seal_break(
                "seal_changed", f"seal {seal.number} differs from its record outside the database"
            )
        previous = seal.seal_hash
    last = seals[-1].number if seals else 0
    for number in sorted(n for n in outside if n > last):
        seal_break(
            "seal_missing",
            f"seal {number} is recorded outside the database but not in it: "
            "the newest seals were deleted",
        )
    return found


def check_stream(
    rows: list[Row], sealed: tuple[int, str] | None = None, genesis: tuple[int, str] | None = None
) -> list[Break]:
    """The breaks in one stream's rows (in version order) against its head in the
    newest seal and in the genesis seal, which pins the events that predate chaining
    (by the hash they would have had)."""
    found: list[Break] = []
    stream = rows[0].stream_id if rows else ""
    genesis_version = genesis[0] if genesis else 0
    expected_version = 1
    # What the next event links to (its predecessor's stored hash; None for the first
    # event or after an unchained one), and the predecessor's value as seals hold it
    # (for an unchained event, the hash it would have had).
    linked: str | None = None
    value: str | None = None
    values: dict[int, str] = {}
    after_gap = False
    for index, row in enumerate(rows):
        if row.version != expected_version:
            found.append(
                Break(
                    "missing",
                    stream,
                    expected_version,
                    row.position,
                    f"versions {expected_version} to {row.version - 1} are missing",
                )
            )
            after_gap = True
        if row.chain_hash is None:
            if row.version > genesis_version:
                found.append(
                    Break(
                        "inserted",
                        stream,
                        row.version,
                        row.position,
                        "it has no chain hash, and is not covered by the genesis seal",
                    )
                )
        elif not after_gap and hash_of(row, linked) != row.chain_hash:
            found.append(_mismatch(rows, index, sealed))
        value = raw_log.sealed_value(row, value)
        after_gap = False
        linked = row.chain_hash
        values[row.version] = value
        expected_version = row.version + 1
    last = rows[-1].version if rows else 0
    for pin, name in ((sealed, "its newest seal"), (genesis, "the genesis seal")):
        if pin is None or (pin == sealed and name != "its newest seal"):
            continue
        version, pinned = pin
        if last < version:
            found.append(
                Break(
                    "missing",
                    stream,
                    last + 1,
                    None,
                    f"{name} holds version {version}; the stream ends at version {last}: "
                    "its newest events were deleted",
                )
            )
            break
        if values.get(version) != pinned and not any(b.version == version for b in found):
            row = next(r for r in rows if r.version == version)
            unchained = row.chain_hash is None
            found.append(
                Break(
                    "changed",
                    stream,
                    version,
                    row.position,
                    f"an event at or before this version differs from {name} "
                    "(they were recorded before chaining)"
                    if unchained
                    else f"it differs from {name}",
                )
            )
    return found


def _mismatch(rows: list[Row], index: int, sealed: tuple[int, str] | None) -> Break:
    row = rows[index]
    window = rows[max(0, index - REORDER_WINDOW) : index + REORDER_WINDOW + 1]
    links = {None, *(other.chain_hash for other in window)}
    for other in window:
        if any(
            hash_of(row, previous, version=other.version) == row.chain_hash for previous in links
        ):
            return Break(
                "reordered",
                row.stream_id,
                row.version,
                row.position,
                f"event {row.event_id} was recorded as version {other.version}"
                if other.version != row.version
                else f"event {row.event_id} was recorded after another event than the one "
                "now before it",
            )
    successor = rows[index + 1] if index + 1 < len(rows) else None
    vouched = sealed == (row.version, row.chain_hash) or (
        successor is not None
        and successor.version == row.version + 1
        and hash_of(successor, row.chain_hash) == successor.chain_hash
    )
    if vouched:
        return Break(
            "changed",
            row.stream_id,
            row.version,
            row.position,
            f"event {row.event_id} no longer matches its chain hash",
        )
    return Break(
        "inserted",
        row.stream_id,
        row.version,
        row.position,
        f"nothing recorded vouches for the hash of event {row.event_id}: it was forged, "
        "or changed before a later event or a seal covered it",
    )


def _streams_since(seals: list[Seal], number: int, up_to: Checkpoint, using: str) -> set[str]:
    """Streams sealed after seal ``number``, and streams written after the last seal."""
    later = [seal for seal in seals if seal.number > number]
    wanted = {stream for seal in later for stream in seal.heads}
    after = Checkpoint(seals[-1].tx_id, seals[-1].position) if seals else START
    connection = connections[using]
    recorder = recorders.for_connection(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT stream_id FROM {TABLE} WHERE {recorder.after()}"
            f" AND NOT ({recorder.after()})",
            [after.tx_id, after.position, up_to.tx_id, up_to.position],
        )
        wanted.update(row[0] for row in cursor.fetchall())
    return wanted


def _record(report: Report, using: str) -> None:
    first = report.first
    VerificationRun.objects.using(using).create(
        scope=report.scope,
        started_at=report.started_at,
        finished_at=timezone.now(),
        up_to_position=report.up_to.position or None,
        events_checked=report.events,
        seals_checked=report.seals,
        breaks=len(report.breaks),
        break_kind=first.kind if first else "",
        break_stream=first.stream_id if first else "",
        break_version=first.version if first else None,
        break_position=first.position if first else None,
        break_detail=str(first) if first else "",
        found=[
            {**dataclasses.asdict(found), "text": str(found)}
            for found in sorted(report.breaks, key=log_order)[: VerificationRun.BREAKS_KEPT]
        ],
    )


def latest_run(
    stream_id: str | None = None, using: str = DEFAULT_DB_ALIAS
) -> VerificationRun | None:
    """The last run over the whole log (or, with ``stream_id``, the last one that
    covered that stream by name or in full)."""
    runs = VerificationRun.objects.using(using).order_by("-finished_at")
    scopes = ["whole log"] if stream_id is None else ["whole log", f"stream {stream_id}"]
    return runs.filter(scope__in=scopes).first()
