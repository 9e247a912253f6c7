"""PostgreSQL: transaction ids give the safe read order (docs/architecture.md,
invariant 5), and the INSERT's guard keeps every stream in version order in it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventstore.recorders.base import INSERT_COLUMNS, TABLE, NativeValues, event_params
from eventstore.records import EncodedEvent

# The guard of one INSERT: the stream is at the expected version, and its last
# event was not written by a newer transaction than this one (which would sort
# after this append in the (tx_id, position) read order). The instant is taken
# once per append, never earlier than the stream's last event.
_INSERT = """
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
# Typed: VALUES outside an INSERT's own list does not take the columns' types.
_ROW = "(%s::uuid,%s,%s,%s,%s::integer,%s::json,%s::json,%s::integer,%s::uuid,%s::uuid)"

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


class PostgreSQLRecorder:
    single_statement_appends = True
    orders_by_transaction = True
    native_values: NativeValues | None = None

    def insert(
        self,
        connection: Any,
        stream_id: str,
        stream_type: str,
        chunk: Sequence[EncodedEvent],
        after: int,
        stamp: Any,
    ) -> tuple[str, list[Any]]:
        sql = _INSERT.format(
            table=TABLE, columns=INSERT_COLUMNS, rows=",".join([_ROW] * len(chunk))
        )
        return sql, [
            stream_id,
            stamp,
            *event_params(self, stream_id, stream_type, chunk, after),
            after,
        ]

    def after(self) -> str:
        return "(tx_id, position) > (%s, %s)"

    def horizon(self) -> str:
        return f" AND tx_id < {_HORIZON}"

    def refresh_horizon(self, connection: Any, cursor: Any) -> None:
        # PostgreSQL caches what a transaction reads of pg_stat_activity until the
        # transaction ends: without a refresh, a transaction begun in another database
        # after the first read would count as ours and hold the reader back. Outside a
        # transaction every statement reads afresh.
        if connection.in_atomic_block:
            cursor.execute("SELECT pg_stat_clear_snapshot()")

    def prepare_read(self, cursor: Any) -> None:
        """Let psycopg parse ``timestamptz`` in C on this cursor, and hand ``json``
        over as the stored text (the store decodes it once).

        Django registers a pure-Python subclass of psycopg's loader (to attach the
        connection's time zone), which costs more per event than the rest of the row.
        psycopg's own loader yields the same instant in the session's time zone, which
        Django sets to that same zone.
        """
        import psycopg
        from psycopg.pq import Format
        from psycopg.types.string import TextLoader

        oid = psycopg.adapters.types["timestamptz"].oid
        adapters = cursor.cursor.adapters
        adapters.register_loader(oid, psycopg.adapters.get_loader(oid, Format.TEXT))
        adapters.register_loader("json", TextLoader)

    def uuid_param(self, value: UUID | None) -> Any:
        return value
