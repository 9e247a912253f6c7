"""The rows batches of events read and write, kept in memory and written in bulk.

A batch first names every row its events will touch (``prefetch``: one query per
table and chunk), handlers then change rows in memory, and ``flush`` writes the
batch's changes back: one ``UPDATE`` per fan-out (``update_all``), then new and
changed rows in bulk (``projections.engine.tables``). A handler that raises leaves nothing
behind: nothing reaches the database before ``flush``.

A ``Rows`` may serve the next batches too (a rebuild keeps one, see
``projections.engine.rebuilding``): after ``flush`` its rows are the generation's, and
only rows it has not seen yet are loaded. One that is ``complete`` has seen every
row of its generation (it began with an empty one): it never asks the database,
and a fan-out simply changes the rows it holds, written back with the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar
from uuid import UUID

from django.db.models.base import ModelState

from projections.engine import tables
from projections.engine.read_model import ReadModel

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
        self._indexes: dict[type[ReadModel], dict[tuple[str, ...], _Index]] = defaultdict(dict)
        self._unindexed: dict[type[ReadModel], list[Any]] = {}  # keys of indexed tables

    def __len__(self) -> int:
        """How many rows (and known absences) are held in memory."""
        return sum(len(rows) for rows in self._cache.values())

    def prefetch(self, keys: Iterable[Key]) -> None:
        """Load the rows for ``keys``, one query per table and chunk; remember absent ones."""
        if self.complete:
            return  # an unknown key is an absent row
        wanted: dict[type[ReadModel], dict[Any, Any]] = defaultdict(dict)
        for model, key in keys:
            held = key.int if key.__class__ is UUID else key
            if held not in self._cache[model]:
                wanted[model][held] = key
        for model, model_keys in wanted.items():
            self._load(model, list(model_keys.values()))

    def find(self, model: type[M], key: Any) -> M | None:
        """The row, for reading only."""
        return self._find(model, key, key.int if key.__class__ is UUID else key)

    def edit(self, model: type[M], key: Any) -> M | None:
        """The row, to change: it is written back at ``flush``."""
        return self._edit(model, key, key.int if key.__class__ is UUID else key)

    def edit_or_create(self, model: type[M], key: Any, **defaults: Any) -> M:
        held = key.int if key.__class__ is UUID else key
        row = self._edit(model, key, held)
        if row is None:
            row = _new_row(model, **self._partition(model), **{model.key_field: key}, **defaults)
            self._cache[model][held] = row
            self._new[model][held] = row
        return row

    # Rows are held by their key, a UUID by its int: hashing and comparing a UUID are
    # Python calls, an int's are not, and a batch looks rows up millions of times.

    def _find(self, model: type[M], key: Any, held: Any) -> M | None:
        cache = self._cache[model]
        if held not in cache:
            self._load(model, [key])
        return cache[held]  # type: ignore[return-value]

    def _edit(self, model: type[M], key: Any, held: Any) -> M | None:
        row = self._find(model, key, held)
        if row is not None and held not in self._new[model]:
            self._dirty[model][held] = row
        if model in self._unindexed:
            self._unindexed[model].append(held)  # its values may change (or it is new)
        return row

    def update_all(self, model: type[ReadModel], where: dict[str, Any], **changes: Any) -> None:
        """Change every row matching ``where`` (equality only), in memory and in the table
        (rows that are all in memory are written back with the others)."""
        for key, row in self._matching(model, where):
            for field, value in changes.items():
                setattr(row, field, value)
            if self.complete and key not in self._new[model]:
                self._dirty[model][key] = row
        if not self.complete:
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
        for held in (self._cache, self._new, self._dirty, self._indexes, self._unindexed):
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
                    key = getattr(row, model.key_field)
                    held = key.int if key.__class__ is UUID else key
                    cache[held] = row
                    if model in self._unindexed:
                        self._unindexed[model].append(held)
        for key in keys:
            cache.setdefault(key.int if key.__class__ is UUID else key, None)

    def _matching(
        self, model: type[ReadModel], where: dict[str, Any]
    ) -> list[tuple[Any, ReadModel]]:
        """The rows held of ``model`` whose fields equal ``where``, by key, from an index."""
        indexes = self._indexes[model]
        fields = tuple(where)
        if fields not in indexes:
            indexes[fields] = _Index(fields, self._cache[model].items())
            self._unindexed.setdefault(model, [])
        for key in self._unindexed[model]:
            for index in indexes.values():
                index.add(key, self._cache[model][key])
        self._unindexed[model].clear()
        return indexes[fields].find(self._cache[model], tuple(where.values()))

    def _partition(self, model: type[ReadModel]) -> dict[str, Any]:
        return model.partition(self.projection, self.generation)

    def _match(self, model: type[ReadModel]) -> list[str]:
        """The fields naming one row: its partition and its natural key."""
        return [*self._partition(model), model.key_field]


class _Index:
    """Keys of one table's rows by the values of some of their fields (for ``update_all``).

    ``Rows`` adds every row it hands out for change or loads; a row whose values moved
    on stays listed under its old ones too, so ``find`` checks every candidate.
    """

    def __init__(self, fields: tuple[str, ...], rows: Iterable[tuple[Any, ReadModel | None]]):
        self._values = attrgetter(*fields)
        self._single = len(fields) == 1
        self._keys: dict[Any, set[Any]] = defaultdict(set)
        for key, row in rows:
            self.add(key, row)

    def add(self, key: Any, row: ReadModel | None) -> None:
        if row is not None:
            self._keys[self._values(row)].add(key)

    def find(
        self, rows: dict[Any, ReadModel | None], values: tuple[Any, ...]
    ) -> list[tuple[Any, ReadModel]]:
        wanted = values[0] if self._single else values
        found = ((key, rows[key]) for key in self._keys.get(wanted, ()))
        return [(k, row) for k, row in found if row is not None and self._values(row) == wanted]


def _new_row(model: type[M], **values: Any) -> M:
    """A row with the fields' defaults and ``values``, made as unpickling makes one
    (``__new__`` and its ``__dict__``): ``Model.__init__`` costs more than a handler."""
    fixed, anew = _blank(model)
    row = model.__new__(model)
    row.__dict__.update(fixed, _state=ModelState())
    row.__dict__.update({name: make() for name, make in anew})
    if unknown := values.keys() - row.__dict__.keys():
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    row.__dict__.update(values)
    return row


@cache
def _blank(model: type[ReadModel]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The fields' fixed defaults, and the ones made anew for each row (``default=list``)."""
    fields = model._meta.concrete_fields
    anew = [field for field in fields if field.has_default() and callable(field.default)]
    fixed = {field.attname: field.get_default() for field in fields if field not in anew}
    return fixed, [(field.attname, field.default) for field in anew]
