"""SQLite: one writer at a time (``BEGIN IMMEDIATE``), so the log's order is the
position order and ``tx_id`` is always 0; UUIDs and instants are stored as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventstore.recorders.base import (
    ARCHIVED_TABLE,
    COLUMNS,
    INSERT_COLUMNS,
    TABLE,
    NativeValues,
    event_params,
    stored_instant,
)
from eventstore.records import EncodedEvent

# The store chose the instant (never earlier than the stream's last event) and
# hashed it into the chain: it is stored exactly as given.
_INSERT = """
    INSERT INTO {table} ({columns}, recorded_at, tx_id)
    SELECT new.*, %s, 0
      FROM (VALUES {rows}) AS new
     WHERE (SELECT COALESCE(MAX(version), 0) FROM {table} WHERE stream_id = %s) = %s
       AND NOT EXISTS (SELECT 1 FROM {archived} WHERE stream_id = %s)
    RETURNING position"""
_ROW = "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"


def _native_values(
    event_id: Any, correlation_id: Any, causation_id: Any, recorded_at: Any
) -> tuple[UUID, UUID | None, UUID | None, dt.datetime]:
    return (
        UUID(event_id),
        correlation_id and UUID(correlation_id),
        causation_id and UUID(causation_id),
        stored_instant(recorded_at),
    )


class SQLiteRecorder:
    # A statement that reads, then writes, outside BEGIN IMMEDIATE can fail
    # "database is locked" at once instead of waiting for the lock.
    single_statement_appends = False
    # Rows per INSERT statement; keeps statements well under SQLite's variable limit.
    max_batch: int | None = 500
    # A failed statement is undone alone; the transaction goes on.
    aborts_on_error = False
    orders_by_transaction = False
    snapshot_state = "state"
    json_text = "json_extract({column}, '$.{field}')"
    wrapped_key = "{column}"  # a compound SELECT's columns take any type
    native_values: NativeValues | None = staticmethod(_native_values)

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
        sql = _INSERT.format(
            table=TABLE,
            archived=ARCHIVED_TABLE,
            columns=INSERT_COLUMNS,
            rows=",".join([_ROW] * len(chunk)),
        )
        params = event_params(self, stream_id, stream_type, chunk, hashes, after)
        return sql, [
            connection.ops.adapt_datetimefield_value(recorded_at),
            *params,
            stream_id,
            after,
            stream_id,
        ]

    def after(self) -> str:
        # SQLite ranges an index on a row value's first column only, so the row-value
        # form rescans the log from its start on every page. tx_id is always 0 here.
        return "tx_id = %s AND position > %s"

    def horizon(self) -> str:
        return ""

    def horizon_value(self) -> str:
        return "1"  # tx_id is always 0: every committed row is safe

    def read_page(self, before: str) -> str:
        return (
            f"SELECT {COLUMNS} FROM {TABLE} WHERE {self.after()} AND tx_id < {before}"
            " ORDER BY tx_id, position LIMIT %s"
        )

    def refresh_horizon(self, connection: Any, cursor: Any) -> None:
        pass

    def prepare_read(self, cursor: Any) -> None:
        pass

    def statement_cursor(self, connection: Any, *, binary: bool = False) -> Any:
        return connection.cursor()  # sqlite3 caches its compiled statements itself

    def uuid_param(self, value: UUID | None) -> Any:
        return None if value is None else value.hex
