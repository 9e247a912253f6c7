"""PostgreSQL: transaction ids give the safe read order (docs/architecture.md,
invariant 5), and the INSERT's guard keeps every stream in version order in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from django.conf import settings
from django.db.backends.postgresql.base import Cursor as DjangoClientCursor

from eventstore.recorders.base import ARCHIVED_TABLE, COLUMNS, INSERT_COLUMNS, TABLE, NativeValues
from eventstore.records import EncodedEvent

# Executions of one statement on a connection before the server is asked to keep it
# prepared. Preparing costs a round trip of its own, so a connection that lives for
# one request (CONN_MAX_AGE=0) never prepares; one that lives on (a worker,
# persistent connections) plans each of the store's statements once.
PREPARE_AFTER = 2

# The guarded append, one statement for a batch of any size: the batch comes as one
# array per column (unnest), so the statement's text and its plan do not grow with
# the batch. The guard: the stream is at the expected version, its last event was not
# written by a newer transaction than this one (which would sort after this append in
# the (tx_id, position) read order), the stream is not archived (eventstore/archive.py:
# it stays closed) and, inside a caller's transaction, none of the event ids is stored
# already. The
# store chose the instant (never earlier than the stream's last event) and hashed it
# into the chain, so it is stored as given.
#
# Inside a caller's transaction the append takes no savepoint, so it must refuse
# without an error: the first event goes in alone with ON CONFLICT DO NOTHING (a
# writer that won the race for the same version, or the same event id, took it: no
# row, nothing written), and the rest only once the first is in. Holding the first
# version, no other writer can take the later ones; only an id stored meanwhile by
# another stream can still fail the rest (the caller's transaction is then lost).
_INSERT = """
    WITH last AS (
        SELECT version, tx_id FROM {table}
         WHERE stream_id = %s ORDER BY version DESC LIMIT 1
    ), new AS MATERIALIZED (
        SELECT * FROM unnest(%s::uuid[], %s::text[], %s::integer[], %s::text[], %s::text[],
                             %s::uuid[], %s::uuid[], %s::text[]) WITH ORDINALITY
            AS new(event_id, event_type, schema_version, data, metadata, correlation_id,
                   causation_id, chain_hash, n)
    ), guard AS MATERIALIZED (
        SELECT %s::timestamptz AS at, pg_current_xact_id()::text::bigint AS tx
         WHERE COALESCE((SELECT version FROM last), 0) = %s
           AND COALESCE((SELECT tx_id FROM last), 0) <= pg_current_xact_id()::text::bigint
           AND NOT EXISTS (SELECT FROM {archived} WHERE stream_id = %s){ids}
    ), head AS (
        INSERT INTO {table} ({columns}, recorded_at, tx_id)
        {select} WHERE new.n = 1
        ON CONFLICT DO NOTHING
        RETURNING position, version
    ), tail AS (
        INSERT INTO {table} ({columns}, recorded_at, tx_id)
        {select} WHERE new.n > 1 AND EXISTS (SELECT FROM head) ORDER BY new.n
        RETURNING position, version
    )
    SELECT position FROM (TABLE head UNION ALL TABLE tail) AS done ORDER BY version"""
_SELECT = """SELECT new.event_id, %s, %s, new.event_type, new.schema_version, new.data::json,
               new.metadata::json, %s + new.n, new.correlation_id, new.causation_id,
               new.chain_hash, guard.at, guard.tx
          FROM new, guard"""
_IDS_STORED = f"""
           AND NOT EXISTS (SELECT FROM {TABLE}
                            WHERE event_id = ANY (ARRAY(SELECT event_id FROM new)))"""
# Outside the caller's transaction a failed statement costs nothing but itself, so the
# guard leaves the ids to the unique index instead of probing it for each first (a
# tenth of the statement's work at 1,000 events); the store reads a clash on an id as
# a refusal and asks which ids are stored, as for a refused guard.
_SQL, _SQL_IDS_BY_INDEX = (
    _INSERT.format(
        table=TABLE, archived=ARCHIVED_TABLE, columns=INSERT_COLUMNS, select=_SELECT, ids=ids
    )
    for ids in (_IDS_STORED, "")
)

# One event, the common case (most commands record one): the same guard, in a
# statement that costs less to plan; ON CONFLICT DO NOTHING covers its id as well.
_INSERT_ONE = f"""
    WITH last AS (
        SELECT version, tx_id FROM {TABLE}
         WHERE stream_id = %s ORDER BY version DESC LIMIT 1
    )
    INSERT INTO {TABLE} ({INSERT_COLUMNS}, recorded_at, tx_id)
    SELECT %s::uuid, %s, %s, %s, %s::integer, %s::json, %s::json, %s::integer, %s::uuid,
           %s::uuid, %s, %s::timestamptz, pg_current_xact_id()::text::bigint
     WHERE COALESCE((SELECT version FROM last), 0) = %s
       AND COALESCE((SELECT tx_id FROM last), 0) <= pg_current_xact_id()::text::bigint
       AND NOT EXISTS (SELECT FROM {ARCHIVED_TABLE} WHERE stream_id = %s)
    ON CONFLICT DO NOTHING
    RETURNING position"""

# The oldest transaction id still running in another session, from the reader's
# snapshot; the reader's own transaction counts as finished, since its own events
# are visible to it. Without other sessions this is pg_snapshot_xmin. Transaction
# ids are cluster-wide: a transaction seen running in another database cannot write
# our events, so it does not hold the horizon back. One that has ended since the
# snapshot is no longer listed and still counts (its rows are invisible to us).
_HORIZON = """
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


def _array(values: list[Any]) -> str:
    """An array literal of values whose text needs no quoting (UUIDs, integers).

    psycopg dumps a list element by element in Python; a batch's arrays are built here
    with str methods instead and sent as one text parameter each, cast in the SQL."""
    return _literal(values, str)


def _text_array(values: list[Any]) -> str:
    """An array literal of text (NULL for None): each element double-quoted, with its
    backslashes and double quotes escaped."""
    return _literal(values, _quoted)


def _quoted(value: Any) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(values: list[Any], element: Any) -> str:
    # The events of a batch share objects (their command's correlation id, one metadata
    # text, one event type): each run of the same object is written once.
    texts: list[str] = []
    previous: Any = texts  # matches no value
    text = ""
    for value in values:
        if value is not previous:
            previous, text = value, "NULL" if value is None else element(value)
        texts.append(text)
    return "{" + ",".join(texts) + "}"


class PostgreSQLRecorder:
    single_statement_appends = True
    max_batch: int | None = None
    aborts_on_error = True
    orders_by_transaction = True
    snapshot_state = "state::json"
    json_text = "{column}->>'{field}'"
    wrapped_key = "encode({column}, 'hex')"
    native_values: NativeValues | None = None

    def insert(
        self,
        connection: Any,
        stream_id: str,
        stream_type: str,
        chunk: Sequence[EncodedEvent],
        hashes: Sequence[str],
        after: int,
        recorded_at: dt.datetime,
    ) -> tuple[str, list[Any]]:
        if len(chunk) == 1:
            (encoded,) = chunk
            (chain_hash,) = hashes
            new = encoded.new
            return _INSERT_ONE, [
                stream_id,
                new.event_id,
                stream_id,
                stream_type,
                new.event_type,
                new.schema_version,
                encoded.data,
                encoded.metadata,
                after + 1,
                new.correlation_id,
                new.causation_id,
                chain_hash,
                recorded_at,
                after,
                stream_id,
            ]
        events = [encoded.new for encoded in chunk]
        arrays = [
            _array([new.event_id for new in events]),
            _text_array([new.event_type for new in events]),
            _array([new.schema_version for new in events]),
            _text_array([encoded.data for encoded in chunk]),
            _text_array([encoded.metadata for encoded in chunk]),
            _array([new.correlation_id for new in events]),
            _array([new.causation_id for new in events]),
            _array(list(hashes)),
        ]
        row = [stream_id, stream_type, after]
        sql = _SQL if connection.in_atomic_block else _SQL_IDS_BY_INDEX
        return sql, [stream_id, *arrays, recorded_at, after, stream_id, *row, *row]

    def after(self) -> str:
        return "(tx_id, position) > (%s, %s)"

    def read_page(self, before: str) -> str:
        """A page of the log in the read order (params: the checkpoint's tx_id and
        position, then the page's size), below the transaction id ``before``.

        The function (migration 0008) holds the planner to the read-order index
        scanned in order: keyset paging wants that scan, at most a page of rows. With
        statistics that lag the log the planner chose a bitmap scan of every row after
        the checkpoint and a sort, and each page read the whole rest of the log
        (measured: the whole log read at 55% of its speed, 60,000 events written at
        once).
        """
        return (
            f"SELECT {COLUMNS} FROM eventstore_read_page(%s::bigint, %s::bigint, {before},"
            " %s::integer)"
        )

    def horizon(self) -> str:
        return f" AND tx_id < {_HORIZON}"

    def horizon_value(self) -> str:
        return _HORIZON

    def refresh_horizon(self, connection: Any, cursor: Any) -> None:
        # PostgreSQL caches what a transaction reads of pg_stat_activity until the
        # transaction ends: without a refresh, a transaction begun in another database
        # after the first read would count as ours and hold the reader back. Outside a
        # transaction every statement reads afresh.
        if connection.in_atomic_block:
            cursor.execute("SELECT pg_stat_clear_snapshot()")

    def prepare_read(self, cursor: Any) -> None:
        """Let psycopg parse ``timestamptz`` in C on this cursor, and hand ``json``
        over as the stored text (the store decodes it once), in both formats.

        Django registers a pure-Python subclass of psycopg's loader (to attach the
        connection's time zone), which costs more per event than the rest of the row.
        psycopg's own loader yields the same instant in the session's time zone, which
        Django sets to that same zone.
        """
        import psycopg
        from psycopg.pq import Format
        from psycopg.types.string import TextBinaryLoader, TextLoader

        oid = psycopg.adapters.types["timestamptz"].oid
        adapters = cursor.cursor.adapters
        adapters.register_loader(oid, psycopg.adapters.get_loader(oid, Format.TEXT))
        adapters.register_loader("json", TextLoader)
        adapters.register_loader("json", TextBinaryLoader)

    def statement_cursor(self, connection: Any, *, binary: bool = False) -> Any:
        """A cursor binding its parameters on the server, so that psycopg can prepare the
        store's statements: planning the guarded INSERT cost more than executing it
        (measured on one connection: 540 µs an append unprepared, 325 µs prepared, 286 µs
        for a bare INSERT of the same row).

        Django binds client-side (its ``ClientCursor``), which never prepares, and opens
        connections with ``prepare_threshold`` None; the store sets the threshold on
        the driver's connection then, which only server-binding cursors like this one
        heed. Where the connection's cursors are not Django's own client cursor, the
        store takes the connection's cursor: a project that binds server-side itself
        (``OPTIONS``) keeps its own threshold, and cursors that something wraps (the
        tracing's psycopg instrumentation, config/tracing.py) keep their wrapper, at
        the cost of planning each statement. ``EVENTSTORE_PREPARED_STATEMENTS = False``
        turns it off (for a pooler in transaction mode that does not track prepared
        statements). While queries are logged (``DEBUG``, a test capturing them)
        Django's own cursor runs them, so the log shows each statement with its values.
        """
        if connection.queries_logged or not getattr(
            settings, "EVENTSTORE_PREPARED_STATEMENTS", True
        ):
            return connection.cursor()
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        driver = connection.connection
        if driver.cursor_factory is not DjangoClientCursor:
            return connection.cursor()
        if driver.prepare_threshold is None:
            driver.prepare_threshold = PREPARE_AFTER
        connection.validate_thread_sharing()
        with connection.wrap_database_errors:
            cursor = psycopg.Cursor(driver)
        if binary:
            # Rows come as the server holds them: no text to format there and parse
            # here for integers, ids and instants (a fifth of reading a page).
            cursor.format = psycopg.pq.Format.BINARY
        return connection.make_cursor(cursor)

    def uuid_param(self, value: UUID | None) -> Any:
        return value
