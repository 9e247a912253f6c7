"""A JSON column that keeps the text it was given.

PostgreSQL's ``jsonb`` re-prints numbers (``1e300`` comes back as a 301-digit
integer) and reorders keys, so the stored bytes could not be hashed or read back
as written. Events keep their JSON as ``json`` there (text, validated); SQLite
stores JSON as text already.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.fields.json import KeyTransform, KeyTransformFactory


class StoredJSONField(models.JSONField):
    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is not None and not isinstance(value, str):
            return value  # psycopg decodes ``json`` by itself
        return super().from_db_value(value, expression, connection)

    def get_transform(self, name: str) -> Any:
        transform = super().get_transform(name)
        return _key(name) if isinstance(transform, KeyTransformFactory) else transform


def _key(name: str) -> Any:
    return lambda *args, **kwargs: JsonKeyTransform(name, *args, **kwargs)


class JsonKeyTransform(KeyTransform):
    """``data__key`` lookups: Django compares keys as ``jsonb``; ``json -> key`` is
    ``json``, so cast it."""

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        sql, params = super().as_postgresql(compiler, connection)
        return f"({sql})::jsonb", params
