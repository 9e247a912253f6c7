"""Write a batch's rows in raw SQL: a few statements per table, none per row.

The ORM's ``bulk_update`` builds a ``CASE WHEN`` per field and row through the
query compiler, and ``bulk_create`` prepares every object the same way; that was
nine tenths of a rebuild's time. Here:

- PostgreSQL: ``COPY`` new rows into the table; ``COPY`` changed rows into a
  temporary table of the same columns, then one ``UPDATE ... FROM`` it (and
  empty it, in the same transaction, for the next batch);
- SQLite: ``executemany`` of ``INSERT`` and of ``UPDATE``.

Values are what the ORM would send: each field's ``get_db_prep_save``, except on
PostgreSQL, where text, numbers, UUIDs and aware datetimes go as they are and
JSON is encoded here (as Django's ``Jsonb`` adapter would). Changed rows are
found by their unique natural key and keep their ids.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field

from projections.engine.read_model import ReadModel
from projections.readmodels.money import CentsField

Prep = Callable[[Any], Any]

# Field types whose values psycopg writes as they are (str, int, Decimal, UUID...) and
# PostgreSQL parses and checks, as it would the ORM's.
_AS_THEY_ARE = {
    "CharField",
    "TextField",
    "IntegerField",
    "PositiveIntegerField",
    "BigIntegerField",
    "BooleanField",
    "UUIDField",
    "DecimalField",
}


def insert(model: type[ReadModel], rows: Sequence[ReadModel]) -> None:
    """Insert new rows (the database numbers them; ``rows`` keep ``pk`` None)."""
    if not rows:
        return
    table, columns = _quoted(model)
    values = _values(model, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, table, columns, values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            cursor.executemany(sql, values)


def update(model: type[ReadModel], rows: Sequence[ReadModel], match: list[str]) -> None:
    """Write the data columns of rows that exist already, found by the ``match`` fields
    (a unique key: rows inserted by ``COPY`` do not know their ids)."""
    if not rows:
        return
    table, columns = _quoted(model)
    keys = [_column(_field(model, name)) for name in match]
    others = [column for column in columns if column not in keys]
    values = _values(model, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Named after its columns: a session older than a migration makes a new one.
            shape = zlib.crc32(",".join(columns).encode())
            changes = _quote(f"{model._meta.db_table}_changes_{shape:08x}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {changes} AS "
                f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
            )
            _copy(cursor, changes, columns, values)
            assign = ", ".join(f"{column} = new.{column}" for column in others)
            same = " AND ".join(f"{table}.{key} = new.{key}" for key in keys)
            cursor.execute(f"UPDATE {table} SET {assign} FROM {changes} AS new WHERE {same}")
            cursor.execute(f"TRUNCATE {changes}")
        else:
            assign = ", ".join(f"{column} = %s" for column in others)
            same = " AND ".join(f"{key} = %s" for key in keys)
            order = [columns.index(column) for column in [*others, *keys]]
            params = [[row[i] for i in order] for row in values]
            cursor.executemany(f"UPDATE {table} SET {assign} WHERE {same}", params)


def update_where(model: type[ReadModel], where: dict[str, Any], changes: dict[str, Any]) -> None:
    """``UPDATE`` every row matching ``where`` (equality) with ``changes``."""
    assign = [(_field(model, name), value) for name, value in changes.items()]
    match = [(_field(model, name), value) for name, value in where.items()]
    sets = ", ".join(f"{_column(field)} = %s" for field, _ in assign)
    conditions = " AND ".join(f"{_column(field)} = %s" for field, _ in match)
    params = [field.get_db_prep_save(value, connection) for field, value in [*assign, *match]]
    table = _quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} WHERE {conditions}", params)


def _copy(cursor: Any, table: str, columns: list[str], values: list[list[Any]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def _values(model: type[ReadModel], rows: Sequence[ReadModel]) -> list[list[Any]]:
    """Each row's data columns as the driver takes them."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is asked once per value
    fields = _data_fields(model)
    columns = _getter([field.attname for field in fields])
    preps = [(i, prep) for i, field in enumerate(fields) if (prep := _preparer(field, db))]
    values = [list(columns(row)) for row in rows]
    for row_values in values:
        for i, prep in preps:
            row_values[i] = prep(row_values[i])
    return values


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda row: (get(row),)


def _preparer(field: Field[Any, Any], db: Any) -> Prep | None:
    """How to turn a field's values into the driver's (None: as they are)."""
    slow = field.get_db_prep_save
    if db.vendor != "postgresql":
        return lambda value: slow(value, db)
    if isinstance(field, CentsField):  # a bigint column, a Decimal amount
        return field.get_prep_value
    kind = field.get_internal_type()
    if kind in _AS_THEY_ARE:
        return None
    if kind == "DateTimeField":
        return lambda value: value if _aware(value) else slow(value, db)
    if kind == "JSONField":  # as Django's Jsonb adapter would write it, without the wrapper
        dumps = partial(json.dumps, cls=field.encoder)  # type: ignore[attr-defined]
        return lambda value: None if value is None else dumps(value)
    return lambda value: slow(value, db)


def _aware(value: Any) -> bool:
    return type(value) is dt.datetime and value.tzinfo is not None


def _quoted(model: type[ReadModel]) -> tuple[str, list[str]]:
    return _quote(model._meta.db_table), [_column(field) for field in _data_fields(model)]


def _field(model: type[ReadModel], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _column(field: Field[Any, Any]) -> str:
    return _quote(field.column or field.attname)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _data_fields(model: type[ReadModel]) -> list[Field[Any, Any]]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]
