"""The rows batches of events read and write, kept in memory and written in bulk.

A batch first names every row its events will touch (``prefetch``: one query per
table), handlers then change rows in memory, and ``flush`` writes the batch's
changes back: one ``UPDATE`` per fan-out, then new and changed rows in bulk
(``projections.tables``). A handler that raises leaves nothing behind: nothing
reaches the database before ``flush``.

A ``Rows`` may serve the next batches too (``runner`` keeps one for a rebuild):
after ``flush`` its rows are the generation's, and only rows it has not seen yet
are loaded. One that is ``complete`` has seen every row of its generation (it
began with an empty one), so it never needs to ask the database at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from operator import attrgetter
from typing import Any, TypeVar

from projections import tables
from projections.models import ReadModel

M = TypeVar("M", bound=ReadModel)
Key = tuple[type[ReadModel], Any]
CHUNK = 500


class Rows:
    """Rows of one projection generation, by table and natural key."""

    def __init__(self, projection: str, generation: int, *, complete: bool = False) -> None:
        self.projection = projection
        self.generation = generation
        self.complete = complete
        self._cache: dict[type[ReadModel], dict[Any, ReadModel | None]] = defaultdict(dict)
        self._new: dict[type[ReadModel], dict[Any, ReadModel]] = defaultdict(dict)
        self._dirty: dict[type[ReadModel], dict[Any, ReadModel]] = defaultdict(dict)
        self._fan_outs: list[tuple[type[ReadModel], dict[str, Any], dict[str, Any]]] = []

    def __len__(self) -> int:
        """How many rows (and known absences) are held in memory."""
        return sum(len(rows) for rows in self._cache.values())

    def prefetch(self, keys: Iterable[Key]) -> None:
        """Load the rows for ``keys``, one query per table and chunk; remember absent ones."""
        if self.complete:
            return  # an unknown key is an absent row
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
        if row is not None and key not in self._new[model]:
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
        fields = attrgetter(*where)
        wanted = tuple(where.values()) if len(where) > 1 else next(iter(where.values()))
        for row in self._cache[model].values():
            if row is not None and fields(row) == wanted:
                for field, value in changes.items():
                    setattr(row, field, value)
        self._fan_outs.append((model, where, changes))

    def flush(self) -> None:
        """Write the changes since the last flush; the rows stay, as the table has them."""
        for model, where, changes in self._fan_outs:
            tables.update_where(model, {**self._partition(model), **where}, changes)
        for model, rows in self._new.items():
            tables.insert(model, list(rows.values()))
        for model, rows in self._dirty.items():
            tables.update(model, list(rows.values()), self._match(model))
        self._fan_outs.clear()
        self._new.clear()
        self._dirty.clear()

    def forget(self) -> None:
        """Drop every row: the next batch loads what it needs from the database again."""
        self.complete = False
        for held in (self._cache, self._new, self._dirty):
            held.clear()
        self._fan_outs.clear()

    def _load(self, model: type[ReadModel], keys: list[Any]) -> None:
        cache = self._cache[model]
        if not self.complete:
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                found = model._default_manager.filter(
                    **self._partition(model), **{f"{model.key_field}__in": chunk}
                )
                for row in found:
                    cache[getattr(row, model.key_field)] = row
        for key in keys:
            cache.setdefault(key, None)

    def _partition(self, model: type[ReadModel]) -> dict[str, Any]:
        return model.partition(self.projection, self.generation)

    def _match(self, model: type[ReadModel]) -> list[str]:
        """The fields naming one row: its partition and its natural key."""
        return [*self._partition(model), model.key_field]
