"""The physical reference: the bare driver on Chronicle's event table, no library.

psycopg 3 on PostgreSQL, sqlite3 on SQLite, one connection in autocommit mode:

- one autocommit INSERT per event: what a single-row commit costs (one round trip);
- one multi-row INSERT of 1,000 rows, and a COPY of 1,000 rows in one transaction
  (SQLite has no COPY: ``executemany`` of the one-row INSERT in one transaction);
- the whole log SELECTed in pages of 1,000 (the order and page size of (f)), its
  JSON columns as text, then the same with ``data`` and ``metadata`` decoded by
  ``json.loads``.

The rows are the event store's benchmark rows (``bench.eventstore_bench``), so
each side's figures can be read against what the server and driver can do at all.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from typing import Any

from django.db import connection

from bench import eventstore_bench as es

REPEAT = 3  # medians of the 1,000-row writes and of the log reads


def run(orders: int) -> dict[str, float]:
    """Rates in rows/s, keyed ``insert-1``, ``insert-multi``, ``copy``, ``select``,
    ``select-decoded``; ``log-rows`` is how many rows the reads saw."""
    raw = es.RawDriver.connect()
    try:
        rows = es.raw_rows("raw-each", range(orders))
        figures = {"insert-1": len(rows) / es.seconds(lambda: insert_each(raw, rows))}
        figures["insert-multi"] = batch_rate(lambda tag: insert_multi(raw, batch(tag)), "raw-m")
        figures["copy"] = batch_rate(lambda tag: copy(raw, batch(tag)), "raw-copy")
        count = len(select_log(raw, decode=False))
        figures["log-rows"] = count
        for key, decode in (("select", False), ("select-decoded", True)):
            timings = [
                es.seconds(lambda d=decode: select_log(raw, decode=d)) for _ in range(REPEAT)
            ]
            figures[key] = count / statistics.median(timings)
        return figures
    finally:
        raw.close()


def batch(tag: str) -> list[es.RawRow]:
    return es.recorded_rows(es.big_order(tag))


def batch_rate(write: Any, tag: str) -> float:
    timings = []
    for n in range(REPEAT):
        rows = f"{tag}{n}"
        timings.append(es.seconds(lambda rows=rows: write(rows)))
    return es.BATCH / statistics.median(timings)


def insert_each(raw: es.RawDriver, rows: list[es.RawRow]) -> None:
    sql = raw._insert(1)
    for row in rows:
        raw.conn.execute(sql, raw.params(row))  # autocommit: the statement is the transaction


def insert_multi(raw: es.RawDriver, rows: list[es.RawRow]) -> None:
    raw.conn.execute(raw._insert(len(rows)), [v for row in rows for v in raw.params(row)])


def copy(raw: es.RawDriver, rows: list[es.RawRow]) -> None:
    if connection.vendor != "postgresql":
        with raw.transaction():
            raw.conn.executemany(raw._insert(1), [raw.params(row) for row in rows])
        return
    with raw.transaction():
        (tx_id,) = raw.conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
        now = dt.datetime.now(dt.UTC)
        sql = f"COPY eventstore_event ({es.INSERT_COLUMNS}) FROM STDIN"
        with raw.conn.cursor().copy(sql) as out:
            for row in rows:
                values = raw.params(row)
                out.write_row([*values[:8], now, *values[8:], tx_id])


def select_log(raw: es.RawDriver, *, decode: bool) -> list[Any]:
    """Every row of the log, page by page in (tx_id, position) order."""
    text = "::text" if connection.vendor == "postgresql" else ""
    columns = f"position, stream_id, event_type, data{text}, metadata{text}, version, tx_id"
    sql = raw._dialect(
        f"SELECT {columns} FROM eventstore_event WHERE {raw.keyset} "
        "ORDER BY tx_id, position LIMIT %s"
    )
    loads, found, after = json.loads, [], (0, 0)
    while page := raw.conn.execute(sql, [*after, es.PAGE]).fetchall():
        if decode:
            page = [(p, s, t, loads(d), loads(m), v, x) for p, s, t, d, m, v, x in page]
        found += page
        after = (page[-1][6], page[-1][0])
    return found
