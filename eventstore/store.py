"""Append to and read from the event log: the store's contract, on any backend.

All functions run on Django's connection, so an append joins the caller's
transaction: events and whatever else the caller writes (an idempotency record,
a projection checkpoint) commit together or not at all. The SQL that differs
between backends lives in ``eventstore.recorders``.

The global read order is ``(tx_id, position)`` read strictly below the oldest
running transaction on PostgreSQL (docs/architecture.md, invariant 5). A reader's
checkpoint is that pair, so it can never move past an event that has not
committed yet.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, partial
from typing import Any, NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from opentelemetry import trace

from eventstore import after_commit, archive, chain, metrics, recorders, shredding
from eventstore.errors import (
    ConcurrencyError,
    DuplicateEventError,
    InvalidEvent,
    OrderingConflict,
    StreamArchived,
)
from eventstore.events import personal_event_types
from eventstore.recorders.base import (
    COLUMNS,
    SEGMENT_TABLE,
    SNAPSHOT_TABLE,
    TABLE,
    NativeValues,
    stored_instant,
)
from eventstore.records import (
    ANY,
    NO_STREAM,
    START,
    AppendResult,
    Checkpoint,
    EncodedEvent,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamHead,
)
from eventstore.serialization import JSONDecodeError, decode_json, dumps, loads
from eventstore.upcasting import _upcasters as upcasters
from eventstore.upcasting import upcast

__all__ = [
    "ANY",
    "NO_STREAM",
    "START",
    "AppendResult",
    "Checkpoint",
    "ExpectedVersion",
    "NewEvent",
    "RecordedEvent",
    "Snapshot",
    "StreamHead",
    "append",
    "checkpoint_of",
    "count_after",
    "head",
    "read_all",
    "read_from_snapshot",
    "read_from_snapshots",
    "read_stream",
    "stream_version",
]


class Snapshot(NamedTuple):
    """A stored snapshot as a load needs it."""

    version: int
    state: Any
    # The event at ``version``, for the next append; None for a snapshot taken
    # before chaining.
    head: StreamHead | None


tracer = trace.get_tracer("chronicle.eventstore")

# Event ids per replay lookup.
INSERT_CHUNK = 500
# An ANY append that loses a race for the next version tries again: for ever when
# the store owns the transaction, this often inside a caller's (where a retry may
# also meet an OrderingConflict, for the caller to retry afresh).
ANY_ATTEMPTS_IN_CALLERS_TRANSACTION = 30


def append(
    stream_id: str,
    stream_type: str,
    events: Iterable[NewEvent],
    expected_version: ExpectedVersion,
    *,
    head: StreamHead | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> AppendResult:
    """Append ``events`` to a stream, all or nothing, stamped with one instant and
    chained to the stream's last event (``eventstore.chain``).

    ``expected_version`` is the version the writer last saw (``NO_STREAM`` for a new
    stream, ``ANY`` to skip the check). A mismatch raises ``ConcurrencyError``. An
    append whose event ids are all stored already is a retry after a lost reply: it
    returns the original result and writes nothing; a partial overlap, or an id
    repeated in the batch, raises ``DuplicateEventError``. An event that can never be
    stored raises ``InvalidEvent`` before anything is sent; whatever else the
    database refuses is raised as it is, never retried.

    Inside a caller's transaction the append may raise ``OrderingConflict``: the
    stream's last event was written by a newer transaction, and appending behind it
    would break the stream's version order in the global log (docs/architecture.md,
    invariant 5). Nothing was written; retry the command in a fresh transaction.
    When the store owns the transaction that cannot happen, and ``ANY`` retries
    until it wins.

    Inside a caller's transaction a batch the recorder takes in one statement (any
    size on PostgreSQL) runs without a savepoint: every refusal above leaves the
    transaction usable, but what the database refuses outright (a NOT NULL column,
    an id another append stored meanwhile) aborts it, on PostgreSQL, for the caller
    to roll back (docs/architecture.md, invariant 4).

    ``head`` is the stream's last event at ``expected_version`` when the writer has it
    (the repository keeps it from the load): the new events link to its chain hash
    without asking the database for it.
    """
    batch = _encoded_batch(events)
    if not batch:
        raise ValueError("append needs at least one event")
    if len({new.event_id for new in batch}) != len(batch):
        raise DuplicateEventError("an event id appears twice in one append")
    connection = connections[using]
    attributes: dict[str, str | int] = {
        "chronicle.stream_id": stream_id,
        "chronicle.events": len(batch),
    }
    with tracer.start_as_current_span("eventstore.append", attributes=attributes):
        return _append_retrying(connection, stream_id, stream_type, batch, expected_version, head)


def _append_retrying(
    connection: Any,
    stream_id: str,
    stream_type: str,
    batch: list[EncodedEvent],
    expected_version: ExpectedVersion,
    head: StreamHead | None,
) -> AppendResult:
    for attempt in itertools.count(1):
        try:
            return _append_and_notify(
                connection, stream_id, stream_type, batch, expected_version, head
            )
        except ConcurrencyError as conflict:
            replay = _replayed(connection, stream_id, batch)
            if replay is not None:
                return replay
            if expected_version != ANY or (
                connection.in_atomic_block and attempt >= ANY_ATTEMPTS_IN_CALLERS_TRANSACTION
            ):
                raise conflict
            time.sleep(random.uniform(0, 0.001 * min(attempt, 20)))
    raise AssertionError("unreachable")


_NOTHING = object()


def _encoded_batch(events: Iterable[NewEvent]) -> list[EncodedEvent]:
    """Each event with its data and metadata as JSON text; the events of one command
    usually share one metadata dict, encoded once."""
    batch: list[EncodedEvent] = []
    metadata: Any = _NOTHING
    metadata_text = ""
    for new in events:
        if type(new.schema_version) is not int or new.schema_version < 1:
            raise InvalidEvent(
                f"schema_version must be an integer >= 1, not {new.schema_version!r}"
            )
        try:
            if new.metadata is not metadata:
                metadata, metadata_text = new.metadata, dumps(new.metadata)
            batch.append(EncodedEvent(new, dumps(new.data), metadata_text))
        except ValueError as error:  # NaN and infinities have no JSON form
            raise InvalidEvent(f"event {new.event_type!r} cannot be stored: {error}") from None
    return batch


def _append_and_notify(
    connection: Any,
    stream_id: str,
    stream_type: str,
    batch: list[EncodedEvent],
    expected_version: ExpectedVersion,
    head: StreamHead | None,
) -> AppendResult:
    """One attempt; a clash on the unique (stream_id, version) or event_id becomes
    ``ConcurrencyError``, other integrity errors stay what they are."""
    recorder = recorders.for_connection(connection)
    one_statement = recorder.max_batch is None or len(batch) <= recorder.max_batch
    in_callers_transaction = connection.in_atomic_block
    try:
        if one_statement and (
            in_callers_transaction
            or (recorder.single_statement_appends and expected_version != ANY)
        ):
            # One INSERT is atomic by itself and refuses without an error: inside the
            # caller's transaction it needs no savepoint (two round trips of three),
            # outside any it needs no BEGIN and COMMIT (then it has committed when it
            # returns, and on_commit runs the hooks at once).
            result = _append_once(connection, stream_id, stream_type, batch, expected_version, head)
        else:
            with transaction.atomic(using=connection.alias):
                result = _append_once(
                    connection, stream_id, stream_type, batch, expected_version, head
                )
                _notify_on_commit(connection.alias, batch)
                return result
    except IntegrityError as error:
        constraint = _violated_constraint(error)
        if constraint is None:
            raise
        if in_callers_transaction and one_statement and recorder.aborts_on_error:
            # The caller's transaction is aborted: nothing more can be asked in it, and
            # it cannot commit. The guard had found none of the ids stored, so another
            # stream took one of them meanwhile (a version clash cannot fail the
            # statement: the first event's ON CONFLICT refuses it quietly).
            raise DuplicateEventError(
                "an event id of this append was stored meanwhile by another append; "
                "the transaction is lost"
            ) from error
        # Asked only now: inside the failed statement PostgreSQL would refuse any query.
        actual = stream_version(stream_id, using=connection.alias)
        raise ConcurrencyError(stream_id, expected_version, actual) from error
    _notify_on_commit(connection.alias, batch)
    return result


def _violated_constraint(error: IntegrityError) -> str | None:
    """Which of the store's unique constraints ``error`` names, if any."""
    cause = error.__cause__
    name = getattr(getattr(cause, "diag", None), "constraint_name", None) or str(cause or error)
    if "event_stream_version_uniq" in name or "stream_id, eventstore_event.version" in name:
        return "version"
    if "event_id" in name:
        return "event_id"
    return None


def _append_once(
    connection: Any,
    stream_id: str,
    stream_type: str,
    batch: list[EncodedEvent],
    expected_version: ExpectedVersion,
    head: StreamHead | None,
) -> AppendResult:
    recorder = recorders.for_connection(connection)
    size = recorder.max_batch or len(batch)
    with recorder.statement_cursor(connection) as cursor:
        if expected_version == NO_STREAM or expected_version == 0:
            head = None
        elif expected_version == ANY or head is None or head.version != expected_version:
            head = _read_head(cursor, stream_id)
            if expected_version != ANY and (head.version if head else 0) != expected_version:
                if head is None and archive.archived_version(stream_id, using=connection.alias):
                    raise StreamArchived(stream_id)
                raise ConcurrencyError(stream_id, expected_version, head.version if head else 0)
        current = head.version if head else 0
        # One instant for the whole append, never before the stream's last event.
        recorded_at = timezone.now()
        if head is not None and head.recorded_at > recorded_at:
            recorded_at = head.recorded_at
        hashes = _chained(head, stream_id, stream_type, batch, recorded_at)
        positions: list[int] = []
        for start in range(0, len(batch), size):
            cursor.execute(
                *recorder.insert(
                    connection,
                    stream_id,
                    stream_type,
                    batch[start : start + size],
                    hashes[start : start + size],
                    current + start,
                    recorded_at,
                )
            )
            rows = cursor.fetchall()
            if not rows:
                # The guard found the stream elsewhere than expected, last written by a
                # newer transaction, or some of the ids stored: nothing was written.
                return _refused(connection, stream_id, batch, expected_version, current + start)
            positions.extend(row[0] for row in rows)
    version = current + len(batch)
    return AppendResult(
        stream_id, version, tuple(positions), StreamHead(version, hashes[-1], recorded_at)
    )


def _read_head(cursor: Any, stream_id: str) -> StreamHead | None:
    cursor.execute(
        f"SELECT version, chain_hash, recorded_at FROM {TABLE} WHERE stream_id = %s"
        " ORDER BY version DESC LIMIT 1",
        [stream_id],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    version, chain_hash, recorded_at = row
    return StreamHead(version, chain_hash, stored_instant(recorded_at))


def _chained(
    head: StreamHead | None,
    stream_id: str,
    stream_type: str,
    batch: list[EncodedEvent],
    recorded_at: dt.datetime,
) -> list[str]:
    """Each event's chain hash, linked to the one before it (the first to ``head``)."""
    metadata: Any = _NOTHING
    canonical_metadata = b""

    def parts() -> Iterator[tuple[Any, str, int, bytes, bytes]]:
        nonlocal metadata, canonical_metadata
        for encoded in batch:
            new = encoded.new
            if new.metadata is not metadata:  # shared by a command's events: once
                metadata = new.metadata
                canonical_metadata = chain.canonical(metadata, encoded.metadata)
            data = chain.canonical(new.data, encoded.data)
            yield new.event_id, new.event_type, new.schema_version, data, canonical_metadata

    return chain.links(
        head.chain_hash if head else None,
        stream_id=stream_id,
        stream_type=stream_type,
        after=head.version if head else 0,
        recorded_at=recorded_at,
        events=parts(),
    )


def _refused(
    connection: Any,
    stream_id: str,
    batch: list[EncodedEvent],
    expected_version: ExpectedVersion,
    after: int,
) -> AppendResult:
    """What a refused INSERT means: a replay (its original result), or an error."""
    if archive.archived_version(stream_id, using=connection.alias):
        raise StreamArchived(stream_id)
    actual = stream_version(stream_id, using=connection.alias)
    if actual != after:
        raise ConcurrencyError(stream_id, expected_version, actual)
    # At the expected version: the ids were stored already (a replay, or an overlap),
    # or the stream's last event is a newer transaction's.
    replay = _replayed(connection, stream_id, batch)
    if replay is not None:
        return replay
    if recorders.for_connection(connection).orders_by_transaction:
        raise OrderingConflict(stream_id)
    raise ConcurrencyError(stream_id, expected_version, actual)


def _notify_on_commit(using: str, batch: list[EncodedEvent]) -> None:
    """Count the events and run the configured hooks (e.g. waking the projection
    runners) once this commits: asked of the background thread
    (``eventstore.after_commit``), or at once."""
    types = [encoded.new.event_type for encoded in batch]
    transaction.on_commit(partial(metrics.appended, types), using=using, robust=True)
    hooks = _after_commit_hooks()
    if not hooks:
        return
    if getattr(settings, "EVENTSTORE_AFTER_COMMIT_IN_BACKGROUND", False):
        transaction.on_commit(partial(after_commit.background.ask, hooks), using=using)
        return
    for hook in hooks:
        # robust: the events are committed; a hook that fails (a broker or database
        # hiccup) must not turn the command's success into an error.
        transaction.on_commit(hook, using=using, robust=True)


@cache
def _after_commit_hooks() -> tuple[Callable[[], None], ...]:
    return tuple(import_string(path) for path in getattr(settings, "EVENTSTORE_AFTER_COMMIT", ()))


def _replayed(connection: Any, stream_id: str, batch: list[EncodedEvent]) -> AppendResult | None:
    """The original result if ``batch`` was appended before, else None."""
    uuid = recorders.for_connection(connection).uuid_param
    ids = [uuid(new.event_id) for new in batch]
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), INSERT_CHUNK):
            part = ids[start : start + INSERT_CHUNK]
            cursor.execute(
                f"SELECT stream_id, version, position FROM {TABLE} "
                f"WHERE event_id IN ({','.join(['%s'] * len(part))}) ORDER BY version",
                part,
            )
            found.extend(cursor.fetchall())
    if not found:
        return None
    if len(found) != len(batch) or any(row[0] != stream_id for row in found):
        raise DuplicateEventError(
            f"{len(found)} of {len(batch)} event ids are stored already; "
            "a retried append must repeat the original append exactly"
        )
    return AppendResult(stream_id, found[-1][1], tuple(row[2] for row in found))


def stream_version(stream_id: str, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """The stream's current version (an archived stream's too); 0 when it has no events."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT MAX(version) FROM {TABLE} WHERE stream_id = %s", [stream_id])
        version = cursor.fetchone()[0] or 0
    return version or archive.archived_version(stream_id, using=using)


def read_stream(
    stream_id: str,
    *,
    from_version: int = 1,
    to_version: int | None = None,
    as_of: dt.datetime | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> list[RecordedEvent]:
    """Events of one stream in version order, optionally bounded by version or time.

    ``as_of`` keeps the events recorded at or before that instant.
    """
    connection = connections[using]
    where = ["stream_id = %s", "version >= %s"]
    params: list[Any] = [stream_id, from_version]
    if to_version is not None:
        where.append("version <= %s")
        params.append(to_version)
    if as_of is not None:
        if timezone.is_naive(as_of):
            raise ValueError("as_of must be an aware datetime")
        where.append("recorded_at <= %s")
        params.append(connection.ops.adapt_datetimefield_value(as_of))
    events_where = " AND ".join(where)
    keys_sql, keys_params = _key_rows(recorders.for_connection(connection), events_where, params)
    sql = f"SELECT {COLUMNS} FROM {TABLE} WHERE {events_where}{keys_sql} ORDER BY 9"
    events = _fetch(connection, sql, [*params, *keys_params])
    if events:
        return events
    # No hot row: the stream may be archived (the whole stream goes at once).
    rows = [
        row
        for row in archive.stream_rows(stream_id, using=using)
        if row[8] >= from_version
        and (to_version is None or row[8] <= to_version)
        and (as_of is None or row[9] <= as_of)
    ]
    return _archived_events(connection, rows)


def read_from_snapshot(
    stream_id: str,
    snapshot_schema_version: int,
    *,
    to_version: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> tuple[Snapshot | None, list[RecordedEvent]]:
    """The stream's newest snapshot of ``snapshot_schema_version`` (None if there is
    none) and the events after it, in one query.

    ``to_version`` bounds both: no snapshot and no event past it.
    """
    return _read_from_snapshots([(stream_id, snapshot_schema_version)], to_version, using)[0]


def read_from_snapshots(
    wanted: Sequence[tuple[str, int]], *, using: str = DEFAULT_DB_ALIAS
) -> list[tuple[Snapshot | None, list[RecordedEvent]]]:
    """``read_from_snapshot`` of each ``(stream_id, snapshot_schema_version)``, in
    order, all in one query (a stream with no hot rows is looked up among the archived
    ones apart, as there)."""
    return _read_from_snapshots(wanted, None, using)


def _read_from_snapshots(
    wanted: Sequence[tuple[str, int]], to_version: int | None, using: str
) -> list[tuple[Snapshot | None, list[RecordedEvent]]]:
    connection = connections[using]
    recorder = recorders.for_connection(connection)
    streams = list(dict.fromkeys(stream_id for stream_id, _ in wanted))
    schemas = dict(wanted)
    bound, bounds = ("", []) if to_version is None else (" AND version <= %s", [to_version])
    nulls = ", ".join(["NULL"] * 3)
    # Per stream, its snapshot's row comes first (its version is below every event's),
    # marked by a NULL position, its state in the data column and its head event's
    # instant and chain hash in theirs; then the events after it. The data keys of the
    # subjects the events name follow (eventstore/shredding.py).
    ctes: list[str] = []
    branches: list[str] = []
    wheres: list[str] = []
    cte_params: list[Any] = []
    branch_params: list[Any] = []
    where_params: list[Any] = []
    for n, stream_id in enumerate(streams):
        ctes.append(
            f"snap{n} AS (SELECT stream_id, version, state, head_recorded_at, head_chain_hash"
            f" FROM {SNAPSHOT_TABLE} WHERE stream_id = %s AND schema_version = %s{bound}"
            " ORDER BY version DESC LIMIT 1)"
        )
        cte_params += [stream_id, schemas[stream_id], *bounds]
        where = f"stream_id = %s AND version > COALESCE((SELECT version FROM snap{n}), 0){bound}"
        branches.append(
            f"SELECT NULL, NULL, stream_id, {nulls}, {recorder.snapshot_state}, NULL, version,"
            f" head_recorded_at, NULL, NULL, NULL, head_chain_hash FROM snap{n}"
            f" UNION ALL SELECT {COLUMNS} FROM {TABLE} WHERE {where}"
        )
        branch_params += [stream_id, *bounds]
        wheres.append(f"({where})")
        where_params += [stream_id, *bounds]
    keys_sql, keys_params = _key_rows(recorder, f"({' OR '.join(wheres)})", where_params)
    sql = f"WITH {', '.join(ctes)} {' UNION ALL '.join(branches)}{keys_sql} ORDER BY 3, 9"
    # One text per number of streams and bound: a load is one stream, a command's
    # checks a few (the driver keeps a connection's 100 most used prepared).
    with recorder.statement_cursor(connection) as cursor, _collector_paused():
        recorder.prepare_read(cursor)
        cursor.execute(sql, [*cte_params, *branch_params, *keys_params])
        rows, keys = _split_keys(cursor.fetchall())
        snapshots: dict[str, Snapshot] = {}
        event_rows: list[tuple[Any, ...]] = []
        for row in rows:
            if row[0] is not None:
                event_rows.append(row)
                continue
            state, version, at, chain_hash = row[6], row[8], row[9], row[13]
            snapshots[row[2]] = Snapshot(
                version,
                loads(state) if isinstance(state, str | bytes) else state,
                None if at is None else StreamHead(version, chain_hash, stored_instant(at)),
            )
        found: dict[str, list[RecordedEvent]] = {stream_id: [] for stream_id in streams}
        for recorded in _events(connection, event_rows, keys):
            found[recorded.stream_id].append(recorded)
        read: dict[str, tuple[Snapshot | None, list[RecordedEvent]]] = {}
        for stream_id in streams:
            snapshot = snapshots.get(stream_id)
            if snapshot is None and not found[stream_id]:
                # Archived streams keep no snapshot (eventstore/archive.py).
                archived = archive.stream_rows(stream_id, using=using)
                rows_in = [row for row in archived if to_version is None or row[8] <= to_version]
                read[stream_id] = (None, _archived_events(connection, rows_in))
            else:
                read[stream_id] = (snapshot, found[stream_id])
        return [read[stream_id] for stream_id, _ in wanted]


def _key_rows(recorder: Any, events_where: str, params: list[Any]) -> tuple[str, list[Any]]:
    """A ``UNION ALL`` branch for a read of one stream: the data key of every subject
    the events ``events_where`` selects name, one row each whether it has a key or not,
    so the read decrypts them (invariant 14) without a key query of its own. A key row
    has no position and no version; its subject is in ``stream_id``, ``'key'`` (found)
    or ``'none'`` in ``event_type``, the wrapped key (NULL: destroyed) in ``chain_hash``
    (``_split_keys``). A subject it misses (an upcaster renamed the field) is looked up
    apart, as before."""
    parts: list[str] = []
    part_params: list[Any] = []
    for field, types in personal_event_types().items():
        if not field.isidentifier():
            continue  # not put into SQL: looked up apart
        subject = recorder.json_text.format(column="data", field=field)
        parts.append(
            f"SELECT DISTINCT {subject} AS subject FROM {TABLE} WHERE {events_where}"
            f" AND event_type IN ({','.join(['%s'] * len(types))})"
        )
        part_params += [*params, *types]
    if not parts:
        return "", []
    sql = (
        " UNION ALL SELECT NULL, NULL, s.subject, NULL,"
        " CASE WHEN k.subject IS NULL THEN 'none' ELSE 'key' END,"
        f" {', '.join(['NULL'] * 8)}, {recorder.wrapped_key.format(column='k.wrapped')}"
        f" FROM ({' UNION '.join(parts)}) AS s"
        f" LEFT JOIN {shredding.TABLE} AS k ON k.subject = s.subject"
        " WHERE s.subject IS NOT NULL"
    )
    return sql, part_params


def _split_keys(rows: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], shredding.ReadKeys]:
    """The rows of a stream read without its key rows (``_key_rows``), and those keys."""
    kept: list[tuple[Any, ...]] = []
    asked: set[str] = set()
    wrapped: dict[str, bytes | None] = {}
    for row in rows:
        if row[0] is not None or row[8] is not None:
            kept.append(row)
            continue
        subject, value = str(row[2]), row[13]
        asked.add(subject)
        if row[4] == "key":
            wrapped[subject] = (
                None
                if value is None
                else bytes.fromhex(value)
                if isinstance(value, str)
                else bytes(value)
            )
    return kept, shredding.ReadKeys(frozenset(asked), wrapped)


def read_all(
    after: Checkpoint = START, limit: int = 1000, *, using: str = DEFAULT_DB_ALIAS
) -> list[RecordedEvent]:
    """The next ``limit`` committed events after ``after``, in the safe read order.

    On PostgreSQL only events of transactions older than every running one are
    returned, so an event that commits later can never land behind the checkpoint.
    Archived events (eventstore/archive.py) are merged in where they were.
    """
    # The page's rows, then its events: tens of thousands of containers, none freed
    # while they are made (see _collector_paused).
    with _collector_paused():
        return _read_all(connections[using], after, limit)


def _read_all(connection: Any, after: Checkpoint, limit: int) -> list[RecordedEvent]:
    recorder = recorders.for_connection(connection)
    # The hot page, then the segments holding archived rows after the checkpoint: in
    # that order, a row archived meanwhile is in the page or in a segment read after
    # it (archiving records its segment and deletes its rows in one transaction), and
    # one in both is merged once. On PostgreSQL one statement reads both (marked by a
    # NULL position; their name, first checkpoint and hash in the columns of like
    # type), and the read horizon with them, which the archived rows are held to too.
    segments_sql = (
        f"SELECT NULL, NULL, name, NULL, NULL, first_tx_id, NULL, NULL, first_position, NULL,"
        f" NULL, NULL, {{horizon}}, sha256 FROM {SEGMENT_TABLE} WHERE {_segment_after(recorder)}"
    )
    page = [after.tx_id, after.position, limit]
    with recorder.statement_cursor(connection, binary=True) as cursor:
        recorder.refresh_horizon(connection, cursor)
        recorder.prepare_read(cursor)
        if recorder.horizon():
            cursor.execute(
                f"WITH horizon AS MATERIALIZED (SELECT {recorder.horizon_value()} AS tx)"
                f" SELECT * FROM ({recorder.read_page('(SELECT tx FROM horizon)')}) AS hot"
                f" UNION ALL {segments_sql.format(horizon='(SELECT tx FROM horizon)')}",
                [*page, after.tx_id, after.position],
            )
            rows = cursor.fetchall()
        else:
            cursor.execute(recorder.read_page(recorder.horizon_value()), page)
            rows = cursor.fetchall()
            cursor.execute(
                segments_sql.format(horizon=recorder.horizon_value()),
                [after.tx_id, after.position],
            )
            rows += cursor.fetchall()
    markers = [row for row in rows if row[0] is None]
    if not markers:
        return _events(connection, rows)
    hot_rows = [row for row in rows if row[0] is not None]
    # A full hot page ends the merged page: segments starting after it are not read.
    until = (hot_rows[-1][12], hot_rows[-1][0]) if len(hot_rows) == limit else None
    segments = [(row[2], row[13], (row[5], row[8])) for row in markers]
    ahead = archive.rows_after(segments, after, limit, until=until)
    # Archived rows are old, but held to the same horizon as the hot ones.
    horizon = markers[0][12]
    hot = _decode_rows(recorder.native_values, hot_rows)
    archived = _decode_rows(None, [row for row in ahead if row[12] < horizon])
    merged = sorted({e.position: e for e in [*hot, *archived]}.values(), key=_read_order)
    return shredding.reveal(merged[:limit], using=connection.alias)


def _segment_after(recorder: Any) -> str:
    """``recorder.after()`` on the segments' last checkpoint."""
    return str(recorder.after().replace("tx_id", "last_tx_id").replace("position", "last_position"))


def _read_order(event: RecordedEvent) -> tuple[int, int]:
    return (event.tx_id, event.position)


def head(*, using: str = DEFAULT_DB_ALIAS) -> Checkpoint:
    """The checkpoint of the last event a reader can safely see now."""
    connection = connections[using]
    recorder = recorders.for_connection(connection)
    where = recorder.horizon().replace(" AND ", " WHERE ", 1)
    sql = f"SELECT tx_id, position FROM {TABLE}{where} ORDER BY tx_id DESC, position DESC LIMIT 1"
    with connection.cursor() as cursor:
        recorder.refresh_horizon(connection, cursor)
        cursor.execute(
            f"SELECT * FROM ({sql}) AS hot UNION ALL SELECT last_tx_id, last_position"
            f" FROM {SEGMENT_TABLE}",
            [],
        )
        found = [Checkpoint(*row) for row in cursor.fetchall()]
    return max(found, default=START)


def checkpoint_of(position: int, *, using: str = DEFAULT_DB_ALIAS) -> Checkpoint | None:
    """Where the event at ``position`` sits in the read order (None if there is none)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT tx_id, position FROM {TABLE} WHERE position = %s", [position])
        row = cursor.fetchone()
    return Checkpoint(*row) if row else archive.checkpoint_of(position, using=using)


def count_after(checkpoint: Checkpoint, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """How many stored events (committed, safe or not yet) lie after ``checkpoint``;
    archived ones counted by whole segment, those that end after it."""
    connection = connections[using]
    recorder = recorders.for_connection(connection)
    after, in_segments = recorder.after(), _segment_after(recorder)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {TABLE} WHERE {after}),"
            f" (SELECT COALESCE(SUM(events), 0) FROM {SEGMENT_TABLE} WHERE {in_segments})",
            [checkpoint.tx_id, checkpoint.position, checkpoint.tx_id, checkpoint.position],
        )
        hot, archived = cursor.fetchone()
        return int(hot) + int(archived)


def _fetch(
    connection: Any, sql: str, params: list[Any], *, refresh: bool = False
) -> list[RecordedEvent]:
    recorder = recorders.for_connection(connection)
    with connection.cursor() as cursor:
        if refresh:
            recorder.refresh_horizon(connection, cursor)
        recorder.prepare_read(cursor)
        cursor.execute(sql, params)
        with _collector_paused():
            rows, keys = _split_keys(cursor.fetchall())
            return _events(connection, rows, keys)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A page makes tens of thousands of containers (rows, dicts, lists) and frees
    none: the cyclic collector would scan them, and every older object, over and over
    while they are made. It runs again once the page is built."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _archived_events(connection: Any, rows: list[tuple[Any, ...]]) -> list[RecordedEvent]:
    """Rows of an archive segment (Python values already) as every read returns them."""
    if not rows:
        return []
    return shredding.reveal(_decode_rows(None, rows), using=connection.alias)


def _events(
    connection: Any, rows: list[tuple[Any, ...]], keys: shredding.ReadKeys | None = None
) -> list[RecordedEvent]:
    """The stored rows as every read of the store returns them: decoded, with their
    personal fields decrypted (or read "[erased]"), one key lookup a batch unless the
    read fetched the ``keys`` with the rows."""
    events = _decode_rows(recorders.for_connection(connection).native_values, rows)
    return shredding.reveal(events, using=connection.alias, read=keys)


def _decode_rows(
    native_values: NativeValues | None, rows: list[tuple[Any, ...]]
) -> list[RecordedEvent]:
    make = RecordedEvent
    result: list[RecordedEvent] = []
    append = result.append
    for (
        position,
        event_id,
        stream_id,
        stream_type,
        event_type,
        schema_version,
        data,
        metadata,
        version,
        recorded_at,
        correlation_id,
        causation_id,
        tx_id,
        chain_hash,
    ) in rows:
        try:  # loads() inlined: this loop decodes every event a read returns
            payload, meta = decode_json(data), decode_json(metadata)
        except JSONDecodeError:
            payload, meta = loads(data), loads(metadata)
        if (event_type, schema_version) in upcasters:
            schema_version, payload = upcast(event_type, schema_version, payload)
        if native_values is not None:
            event_id, correlation_id, causation_id, recorded_at = native_values(
                event_id, correlation_id, causation_id, recorded_at
            )
        append(
            make(
                position,
                event_id,
                stream_id,
                stream_type,
                event_type,
                schema_version,
                payload,
                meta,
                version,
                recorded_at,
                correlation_id,
                causation_id,
                tx_id,
                chain_hash,
            )
        )
    return result
