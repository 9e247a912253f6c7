"""The log's rows exactly as stored (no upcasting, no decryption), stream by stream:
what the chain hashes cover, for sealing and verification (eventstore/chain.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple
from uuid import UUID

from django.db import connections

from eventstore import chain, recorders
from eventstore.recorders.base import COLUMNS, TABLE, native_row
from eventstore.records import Checkpoint
from eventstore.serialization import loads

# Rows per page of the log, and stream ids per query of named streams.
PAGE = 5000
STREAMS_PER_QUERY = 200


class Row(NamedTuple):
    stream_id: str
    version: int
    position: int
    event_id: UUID
    stream_type: str
    event_type: str
    schema_version: int
    data: Any
    metadata: Any
    recorded_at: dt.datetime
    chain_hash: str | None


def hash_of(row: Row, previous: str | None, *, version: int | None = None) -> str:
    return chain.link(
        previous,
        event_id=row.event_id,
        stream_id=row.stream_id,
        stream_type=row.stream_type,
        version=row.version if version is None else version,
        event_type=row.event_type,
        schema_version=row.schema_version,
        data=chain.canonical(row.data),
        metadata=chain.canonical(row.metadata),
        recorded_at=row.recorded_at,
    )


def streams(
    up_to: Checkpoint | None, wanted: set[str] | None, using: str
) -> Iterator[tuple[str, list[Row]]]:
    """Each stream's rows (``wanted`` ones, or all) at or before ``up_to`` (or all of
    them), in version order."""
    current: list[Row] = []
    for row in _rows(up_to, wanted, using):
        if current and row.stream_id != current[0].stream_id:
            yield current[0].stream_id, current
            current = []
        current.append(row)
    if current:
        yield current[0].stream_id, current


def _rows(up_to: Checkpoint | None, wanted: set[str] | None, using: str) -> Iterator[Row]:
    connection = connections[using]
    recorder = recorders.for_connection(connection)
    bounds: list[Any]
    bound, bounds = (
        ("1 = 1", [])
        if up_to is None
        else (f"NOT ({recorder.after()})", [up_to.tx_id, up_to.position])
    )
    order = " ORDER BY stream_id, version"
    if wanted is not None:
        names = sorted(wanted)
        for start in range(0, len(names), STREAMS_PER_QUERY):
            part = names[start : start + STREAMS_PER_QUERY]
            yield from _fetch(
                connection,
                f"SELECT {COLUMNS} FROM {TABLE} WHERE {bound}"
                f" AND stream_id IN ({','.join(['%s'] * len(part))}){order}",
                [*bounds, *part],
            )
        return
    last: tuple[str, int] | None = None
    while True:
        where, params = bound, list(bounds)
        if last is not None:
            where += " AND (stream_id > %s OR (stream_id = %s AND version > %s))"
            params += [last[0], last[0], last[1]]
        page = list(
            _fetch(
                connection,
                f"SELECT {COLUMNS} FROM {TABLE} WHERE {where}{order} LIMIT {PAGE}",
                params,
            )
        )
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1].stream_id, page[-1].version


def _fetch(connection: Any, sql: str, params: list[Any]) -> Iterable[Row]:
    recorder = recorders.for_connection(connection)
    with connection.cursor() as cursor:
        recorder.prepare_read(cursor)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [from_native(native_row(row)) for row in rows]


def from_native(row: tuple[Any, ...]) -> Row:
    """A stored row in Python values (``native_row``; an archive segment's rows are
    already) as the hash covers it."""
    return Row(
        row[2],
        row[8],
        row[0],
        row[1],
        row[3],
        row[4],
        row[5],
        loads(row[6]),
        loads(row[7]),
        row[9],
        row[13],
    )


def sealed_value(row: Row, previous: str | None) -> str:
    """What a seal holds for ``row`` as its stream's head: its chain hash, or for an
    event recorded before chaining, the hash it would have had after ``previous``."""
    return row.chain_hash or hash_of(row, previous)
