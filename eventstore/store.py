"""Append to and read from the event log.

All functions run on Django's connection, so an append joins the caller's
transaction: events and whatever else the caller writes (an idempotency record,
a projection checkpoint) commit together or not at all.

The global read order is ``(tx_id, position)`` read strictly below the oldest
running transaction on PostgreSQL (DESIGN.md, invariant 5). A reader's checkpoint
is that pair, so it can never move past an event that has not committed yet.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal
from uuid import UUID, uuid4

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from eventstore.errors import (
    ConcurrencyError,
    DuplicateEventError,
    EventStoreError,
    InvalidEvent,
    OrderingConflict,
)
from eventstore.serialization import dumps
from eventstore.upcasting import upcast

ANY: Literal["any"] = "any"
NO_STREAM: Literal["no_stream"] = "no_stream"
ExpectedVersion = int | Literal["any", "no_stream"]

TABLE = "eventstore_event"
COLUMNS = (
    "position, event_id, stream_id, stream_type, event_type, schema_version, data, "
    "metadata, version, recorded_at, correlation_id, causation_id, tx_id"
)
# Rows per INSERT statement; keeps statements well under SQLite's variable limit.
INSERT_CHUNK = 500
# An ANY append that loses a race for the next version tries again: for ever when
# the store owns the transaction, this often inside a caller's (where a retry may
# also meet an OrderingConflict, for the caller to retry afresh).
ANY_ATTEMPTS_IN_CALLERS_TRANSACTION = 30


@dataclass(frozen=True, slots=True)
class NewEvent:
    event_type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    event_id: UUID = field(default_factory=uuid4)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    version: int
    recorded_at: dt.datetime
    correlation_id: UUID | None
    causation_id: UUID | None
    tx_id: int

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.tx_id, self.position)


@dataclass(frozen=True, order=True, slots=True)
class Checkpoint:
    """A place in the global read order: every event at or before it has been seen."""

    tx_id: int = 0
    position: int = 0


START = Checkpoint()


@dataclass(frozen=True, slots=True)
class AppendResult:
    stream_id: str
    version: int
    positions: tuple[int, ...]

    @property
    def position(self) -> int:
        return self.positions[-1]


def append(
    stream_id: str,
    stream_type: str,
    events: Iterable[NewEvent],
    expected_version: ExpectedVersion,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> AppendResult:
    """Append ``events`` to a stream, all or nothing, stamped with one instant.

    ``expected_version`` is the version the writer last saw (``NO_STREAM`` for a new
    stream, ``ANY`` to skip the check). A mismatch raises ``ConcurrencyError``. An
    append whose event ids are all stored already is a retry after a lost reply: it
    returns the original result and writes nothing; a partial overlap, or an id
    repeated in the batch, raises ``DuplicateEventError``. An event that can never be
    stored raises ``InvalidEvent`` before anything is sent; whatever else the
    database refuses is raised as it is, never retried.

    Inside a caller's transaction the append may raise ``OrderingConflict``: the
    stream's last event was written by a newer transaction, and appending behind it
    would break the stream's version order in the global log (docs: invariant 5).
    Nothing was written; retry the command in a fresh transaction. When the store
    owns the transaction that cannot happen, and ``ANY`` retries until it wins.
    """
    batch = [_checked(new) for new in events]
    if not batch:
        raise ValueError("append needs at least one event")
    if len({new.event_id for new in batch}) != len(batch):
        raise DuplicateEventError("an event id appears twice in one append")
    connection = connections[using]
    for attempt in itertools.count(1):
        try:
            return _append_and_notify(connection, stream_id, stream_type, batch, expected_version)
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


def _checked(new: NewEvent) -> _Encoded:
    if type(new.schema_version) is not int or new.schema_version < 1:
        raise InvalidEvent(f"schema_version must be an integer >= 1, not {new.schema_version!r}")
    try:
        return _Encoded(new, dumps(new.data), dumps(new.metadata))
    except ValueError as error:  # NaN and infinities have no JSON form
        raise InvalidEvent(f"event {new.event_type!r} cannot be stored: {error}") from None


@dataclass(frozen=True, slots=True)
class _Encoded:
    new: NewEvent
    data: str
    metadata: str

    @property
    def event_id(self) -> UUID:
        return self.new.event_id


def _append_and_notify(
    connection: Any,
    stream_id: str,
    stream_type: str,
    batch: list[_Encoded],
    expected_version: ExpectedVersion,
) -> AppendResult:
    """One attempt; a version clash on the unique (stream_id, version) or event_id
    becomes ``ConcurrencyError``, other integrity errors stay what they are."""
    try:
        if _one_statement(connection, batch, expected_version):
            # One INSERT is atomic by itself: outside a transaction it needs no BEGIN
            # and COMMIT, two round trips of the three. It has committed when it
            # returns, so on_commit runs the hooks at once.
            result = _append_once(connection, stream_id, stream_type, batch, expected_version)
        else:
            with transaction.atomic(using=connection.alias):
                result = _append_once(connection, stream_id, stream_type, batch, expected_version)
                _notify_on_commit(connection.alias)
                return result
    except IntegrityError as error:
        if _violated_constraint(error) is None:
            raise
        # Asked only now: inside the failed statement's savepoint PostgreSQL would
        # refuse any query.
        actual = stream_version(stream_id, using=connection.alias)
        raise ConcurrencyError(stream_id, expected_version, actual) from error
    _notify_on_commit(connection.alias)
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


def _one_statement(connection: Any, batch: list[_Encoded], expected: ExpectedVersion) -> bool:
    # Not on SQLite: a statement that reads, then writes, outside BEGIN IMMEDIATE can
    # fail "database is locked" at once instead of waiting for the lock.
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and expected != ANY
        and len(batch) <= INSERT_CHUNK
    )


def _append_once(
    connection: Any,
    stream_id: str,
    stream_type: str,
    batch: list[_Encoded],
    expected_version: ExpectedVersion,
) -> AppendResult:
    with connection.cursor() as cursor:
        if expected_version == ANY:
            cursor.execute(f"SELECT MAX(version) FROM {TABLE} WHERE stream_id = %s", [stream_id])
            current = cursor.fetchone()[0] or 0
        else:
            current = 0 if expected_version == NO_STREAM else expected_version
        positions: list[int] = []
        stamp: Any = None
        for start in range(0, len(batch), INSERT_CHUNK):
            chunk = batch[start : start + INSERT_CHUNK]
            sql, params = _insert_sql(
                connection, stream_id, stream_type, chunk, current + start, stamp
            )
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if not rows:
                # The guard found the stream elsewhere than expected, or last written
                # by a newer transaction: nothing was written.
                raise _refusal(connection, stream_id, expected_version, current + start)
            positions.extend(row[0] for row in rows)
            stamp = rows[0][1]
    return AppendResult(stream_id, current + len(batch), tuple(positions))


def _refusal(
    connection: Any, stream_id: str, expected_version: ExpectedVersion, after: int
) -> EventStoreError:
    actual = stream_version(stream_id, using=connection.alias)
    if actual == after and connection.vendor == "postgresql":
        return OrderingConflict(stream_id)
    return ConcurrencyError(stream_id, expected_version, actual)


# The guard of one INSERT: the stream is at the expected version, and its last
# event was not written by a newer transaction than this one (which would sort
# after this append in the (tx_id, position) read order). The instant is taken
# once per append, never earlier than the stream's last event.
_PG_INSERT = """
    WITH last AS (
        SELECT version, tx_id, recorded_at FROM {table}
         WHERE stream_id = %s ORDER BY version DESC LIMIT 1
    ), stamp AS MATERIALIZED (
        SELECT GREATEST(COALESCE(%s::timestamptz, clock_timestamp()),
                        (SELECT recorded_at FROM last)) AS at
    )
    INSERT INTO {table} ({columns}, recorded_at, tx_id)
    SELECT new.*, stamp.at, pg_current_xact_id()::text::bigint
      FROM (VALUES {rows}) AS new, stamp
     WHERE COALESCE((SELECT version FROM last), 0) = %s
       AND COALESCE((SELECT tx_id FROM last), 0) <= pg_current_xact_id()::text::bigint
    RETURNING position, recorded_at"""
_SQLITE_INSERT = """
    INSERT INTO {table} ({columns}, recorded_at, tx_id)
    SELECT new.*, MAX(%s, COALESCE((
               SELECT recorded_at FROM {table} WHERE stream_id = %s
                ORDER BY version DESC LIMIT 1), '')), 0
      FROM (VALUES {rows}) AS new
     WHERE (SELECT COALESCE(MAX(version), 0) FROM {table} WHERE stream_id = %s) = %s
    RETURNING position, recorded_at"""
_INSERT_COLUMNS = (
    "event_id, stream_id, stream_type, event_type, schema_version, data, metadata, version, "
    "correlation_id, causation_id"
)
# Typed: VALUES outside an INSERT's own list does not take the columns' types.
_PG_ROW = "(%s::uuid,%s,%s,%s,%s::integer,%s::json,%s::json,%s::integer,%s::uuid,%s::uuid)"
_SQLITE_ROW = "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"


def _insert_sql(
    connection: Any,
    stream_id: str,
    stream_type: str,
    chunk: Sequence[_Encoded],
    after: int,
    stamp: Any,
) -> tuple[str, list[Any]]:
    """One INSERT of ``chunk`` as versions ``after + 1...``, if the guard holds.

    The check and the insert are one statement, so an append costs one round trip;
    a writer that races past the check meets the unique (stream_id, version).
    ``stamp`` is the instant of the append's first chunk (None for the first).
    """
    postgres = connection.vendor == "postgresql"
    uuid = _uuid_adapter(connection)
    params: list[Any] = []
    for offset, encoded in enumerate(chunk, start=1):
        new = encoded.new
        params += [
            uuid(new.event_id),
            stream_id,
            stream_type,
            new.event_type,
            new.schema_version,
            encoded.data,
            encoded.metadata,
            after + offset,
            uuid(new.correlation_id),
            uuid(new.causation_id),
        ]
    shape = dict(table=TABLE, columns=_INSERT_COLUMNS)
    if postgres:
        sql = _PG_INSERT.format(rows=",".join([_PG_ROW] * len(chunk)), **shape)
        return sql, [stream_id, stamp, *params, after]
    now = stamp or connection.ops.adapt_datetimefield_value(timezone.now())
    sql = _SQLITE_INSERT.format(rows=",".join([_SQLITE_ROW] * len(chunk)), **shape)
    return sql, [now, stream_id, *params, stream_id, after]


def _notify_on_commit(using: str) -> None:
    """Run the configured hooks (e.g. waking the projection runners) once this commits."""
    for hook in _after_commit_hooks():
        # robust: the events are committed; a hook that fails (a broker or database
        # hiccup) must not turn the command's success into an error.
        transaction.on_commit(hook, using=using, robust=True)


@cache
def _after_commit_hooks() -> tuple[Callable[[], None], ...]:
    return tuple(import_string(path) for path in getattr(settings, "EVENTSTORE_AFTER_COMMIT", ()))


def _replayed(connection: Any, stream_id: str, batch: list[_Encoded]) -> AppendResult | None:
    """The original result if ``batch`` was appended before, else None."""
    uuid = _uuid_adapter(connection)
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
    """The stream's current version; 0 when it has no events."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT MAX(version) FROM {TABLE} WHERE stream_id = %s", [stream_id])
        return cursor.fetchone()[0] or 0


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
    sql = f"SELECT {COLUMNS} FROM {TABLE} WHERE {' AND '.join(where)} ORDER BY version"
    with connection.cursor() as cursor:
        _native_timestamps(connection, cursor)
        cursor.execute(sql, params)
        return _decode_rows(connection, cursor.fetchall())


def read_all(
    after: Checkpoint = START, limit: int = 1000, *, using: str = DEFAULT_DB_ALIAS
) -> list[RecordedEvent]:
    """The next ``limit`` committed events after ``after``, in the safe read order.

    On PostgreSQL only events of transactions older than every running one are
    returned, so an event that commits later can never land behind the checkpoint.
    """
    connection = connections[using]
    sql = (
        f"SELECT {COLUMNS} FROM {TABLE} WHERE {_after(connection)}"
        f"{_horizon(connection)} ORDER BY tx_id, position LIMIT %s"
    )
    with connection.cursor() as cursor:
        _native_timestamps(connection, cursor)
        cursor.execute(sql, [after.tx_id, after.position, limit])
        return _decode_rows(connection, cursor.fetchall())


def head(*, using: str = DEFAULT_DB_ALIAS) -> Checkpoint:
    """The checkpoint of the last event a reader can safely see now."""
    connection = connections[using]
    where = _horizon(connection).replace(" AND ", " WHERE ", 1)
    sql = f"SELECT tx_id, position FROM {TABLE}{where} ORDER BY tx_id DESC, position DESC LIMIT 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, [])
        row = cursor.fetchone()
    return Checkpoint(*row) if row else START


def checkpoint_of(position: int, *, using: str = DEFAULT_DB_ALIAS) -> Checkpoint | None:
    """Where the event at ``position`` sits in the read order (None if there is none)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT tx_id, position FROM {TABLE} WHERE position = %s", [position])
        row = cursor.fetchone()
    return Checkpoint(*row) if row else None


def count_after(checkpoint: Checkpoint, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """How many stored events (committed, safe or not yet) lie after ``checkpoint``."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {TABLE} WHERE {_after(connections[using])}",
            [checkpoint.tx_id, checkpoint.position],
        )
        return int(cursor.fetchone()[0])


# The oldest transaction id still running in another session, from the reader's
# snapshot; the reader's own transaction counts as finished, since its own events
# are visible to it. Without other sessions this is pg_snapshot_xmin. Transaction
# ids are cluster-wide: a transaction seen running in another database cannot write
# our events, so it does not hold the horizon back. One that has ended since the
# snapshot is no longer listed and still counts (its rows are invisible to us).
_PG_HORIZON = """
    (SELECT LEAST(
        (SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(s) AS x
          WHERE NOT EXISTS (
            SELECT 1 FROM pg_stat_activity AS other
             WHERE other.backend_xid::text::bigint = x::text::bigint %% 4294967296
               AND other.datname IS NOT NULL AND other.datname <> current_database())),
        CASE WHEN pg_snapshot_xmax(s) = pg_current_xact_id_if_assigned()
             THEN pg_snapshot_xmax(s)::text::bigint + 1
             ELSE pg_snapshot_xmax(s)::text::bigint END)
     FROM (SELECT pg_current_snapshot() AS s) AS snap)"""


def _after(connection: Any) -> str:
    """Rows after the checkpoint ``(tx_id, position)`` in the read order, as SQL."""
    if connection.vendor == "sqlite":
        # SQLite ranges an index on a row value's first column only, so the row-value
        # form rescans the log from its start on every page. tx_id is always 0 here.
        return "tx_id = %s AND position > %s"
    return "(tx_id, position) > (%s, %s)"


def _native_timestamps(connection: Any, cursor: Any) -> None:
    """Let psycopg parse ``timestamptz`` in C on this cursor, and hand ``json`` over
    as the stored text (decoded once, by ``_decode_rows``).

    Django registers a pure-Python subclass of psycopg's loader (to attach the
    connection's time zone), which costs more per event than the rest of the row.
    psycopg's own loader yields the same instant in the session's time zone, which
    Django sets to that same zone.
    """
    if connection.vendor != "postgresql":
        return
    import psycopg
    from psycopg.pq import Format
    from psycopg.types.string import TextLoader

    oid = psycopg.adapters.types["timestamptz"].oid
    adapters = cursor.cursor.adapters
    adapters.register_loader(oid, psycopg.adapters.get_loader(oid, Format.TEXT))
    adapters.register_loader("json", TextLoader)


def _horizon(connection: Any) -> str:
    if connection.vendor == "postgresql":
        return f" AND tx_id < {_PG_HORIZON}"
    return ""


def _uuid_adapter(connection: Any) -> Any:
    if connection.features.has_native_uuid_field:
        return _same
    return _hex


def _same(value: Any) -> Any:
    return value


def _hex(value: UUID | None) -> str | None:
    return None if value is None else value.hex


def _decode_rows(connection: Any, rows: list[tuple[Any, ...]]) -> list[RecordedEvent]:
    native = connection.vendor == "postgresql"
    loads = json.loads
    result = []
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
    ) in rows:
        schema_version, payload = upcast(event_type, schema_version, loads(data))
        if not native:
            event_id = UUID(event_id)
            correlation_id = correlation_id and UUID(correlation_id)
            causation_id = causation_id and UUID(causation_id)
            recorded_at = _sqlite_datetime(recorded_at)
        result.append(
            RecordedEvent(
                position,
                event_id,
                stream_id,
                stream_type,
                event_type,
                schema_version,
                payload,
                loads(metadata),
                version,
                recorded_at,
                correlation_id,
                causation_id,
                tx_id,
            )
        )
    return result


def _sqlite_datetime(value: Any) -> dt.datetime:
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(value)
    if parsed is None:
        raise ValueError(f"stored timestamp {value!r} is not a datetime")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC)
