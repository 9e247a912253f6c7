"""The rows one batch of events reads and writes, kept in memory and written in bulk.

A batch first names every row its events will touch (``prefetch``: one query per
table), handlers then change rows in memory, and ``flush`` writes everything back
with one ``UPDATE`` per fan-out, ``bulk_create`` for new rows and ``bulk_update``
for changed ones. A handler that raises leaves nothing behind: nothing reaches the
database before ``flush``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from projections.models import ReadModel

M = TypeVar("M", bound=ReadModel)
Key = tuple[type[ReadModel], Any]
CHUNK = 500


class Rows:
    """Rows of one projection generation, by table and natural key."""

    def __init__(self, projection: str, generation: int) -> None:
        self.projection = projection
        self.generation = generation
        self._cache: dict[type[ReadModel], dict[Any, ReadModel | None]] = defaultdict(dict)
        self._new: dict[type[ReadModel], dict[Any, ReadModel]] = defaultdict(dict)
        self._dirty: dict[type[ReadModel], dict[Any, ReadModel]] = defaultdict(dict)
        self._fan_outs: list[tuple[type[ReadModel], dict[str, Any], dict[str, Any]]] = []

    def prefetch(self, keys: Iterable[Key]) -> None:
        """Load the rows for ``keys``, one query per table and chunk; remember absent ones."""
        wanted: dict[type[ReadModel], set[Any]] = defaultdict(set)
        for model, key in keys:
            if key not in self._cache[model]:
                wanted[model].add(key)
        for model, model_keys in wanted.items():
            self._load(model, list(model_keys))

    def find(self, model: type[M], key: Any) -> M | None:
        """The row, for reading only."""
        if key not in self._cache[model]:
            self._load(model, [key])
        return self._cache[model][key]  # type: ignore[return-value]

    def edit(self, model: type[M], key: Any) -> M | None:
        """The row, to change: it is written back at ``flush``."""
        row = self.find(model, key)
        if row is not None and row.pk is not None:
            self._dirty[model][key] = row
        return row

    def edit_or_create(self, model: type[M], key: Any, **defaults: Any) -> M:
        row = self.edit(model, key)
        if row is None:
            row = model(**self._partition(model), **{model.key_field: key}, **defaults)
            self._cache[model][key] = row
            self._new[model][key] = row
        return row

    def update_all(self, model: type[ReadModel], where: dict[str, Any], **changes: Any) -> None:
        """Change every row matching ``where`` (equality only), in memory and in the table."""
        for row in self._cache[model].values():
            if row is not None and all(getattr(row, f) == v for f, v in where.items()):
                for field, value in changes.items():
                    setattr(row, field, value)
        self._fan_outs.append((model, where, changes))

    def flush(self) -> None:
        for model, where, changes in self._fan_outs:
            model._default_manager.filter(**self._partition(model), **where).update(**changes)
        for model, rows in self._new.items():
            model._default_manager.bulk_create(list(rows.values()), batch_size=CHUNK)
        for model, rows in self._dirty.items():
            if rows:
                model._default_manager.bulk_update(
                    list(rows.values()), _data_fields(model), batch_size=CHUNK
                )
        self._fan_outs.clear()
        self._new.clear()
        self._dirty.clear()

    def _load(self, model: type[ReadModel], keys: list[Any]) -> None:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            found = model._default_manager.filter(
                **self._partition(model), **{f"{model.key_field}__in": chunk}
            )
            for row in found:
                self._cache[model][getattr(row, model.key_field)] = row
        for key in keys:
            self._cache[model].setdefault(key, None)

    def _partition(self, model: type[ReadModel]) -> dict[str, Any]:
        return model.partition(self.projection, self.generation)


def _data_fields(model: type[ReadModel]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if not f.primary_key]
