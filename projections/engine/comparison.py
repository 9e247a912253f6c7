"""Compare a rebuilt generation with the live one, row by row, before it goes live.

A verified rebuild (``rebuild_projections --verify``, or the admin's checkbox) builds
the new generation as any rebuild does; when both generations have read to the same
checkpoint, the runner compares them. Without differences the new one goes live at
once; with differences it keeps catching up and waits for a member of staff to
switch or discard it (``projections.engine.rebuilding.decide``). So a change to a
projection's code shows exactly what it changes before users see it.

Rows are matched by their table's natural key (``key_field``) within the
projection's partition; every column but the row id and the generation is compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from projections.engine.projection import Projection
from projections.engine.read_model import ReadModel

# Rows shown per kind of difference and table.
SAMPLES = 5


@dataclass
class TableDifference:
    table: str
    rows_live: int
    rows_rebuilt: int
    added: int = 0
    removed: int = 0
    changed: int = 0
    # Samples: added and removed rows as {column: value}; changed ones as
    # {"key": ..., "columns": {column: [live, rebuilt]}}.
    samples: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"added": [], "removed": [], "changed": []}
    )

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class Comparison:
    projection: str
    live_generation: int
    rebuilt_generation: int
    tables: list[TableDifference]

    @property
    def any(self) -> bool:
        return any(table.any for table in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {
            "projection": self.projection,
            "live_generation": self.live_generation,
            "rebuilt_generation": self.rebuilt_generation,
            "tables": [vars(table) for table in self.tables],
        }


def compare(projection: Projection, live: int, rebuilt: int) -> Comparison:
    return Comparison(
        projection.name,
        live,
        rebuilt,
        [_compare_table(projection.name, model, live, rebuilt) for model in projection.tables],
    )


def _compare_table(name: str, model: type[ReadModel], live: int, rebuilt: int) -> TableDifference:
    columns = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != "generation"
    ]
    old = _rows(model, name, live, columns)
    new = _rows(model, name, rebuilt, columns)
    found = TableDifference(model._meta.label, len(old), len(new))
    for key in sorted(new.keys() - old.keys(), key=str):
        found.added += 1
        _sample(found, "added", _plain(new[key]))
    for key in sorted(old.keys() - new.keys(), key=str):
        found.removed += 1
        _sample(found, "removed", _plain(old[key]))
    for key in sorted(old.keys() & new.keys(), key=str):
        changed = {
            column: [_value(old[key][column]), _value(new[key][column])]
            for column in columns
            if old[key][column] != new[key][column]
        }
        if changed:
            found.changed += 1
            _sample(found, "changed", {"key": _value(key), "columns": changed})
    return found


def _rows(
    model: type[ReadModel], name: str, generation: int, columns: list[str]
) -> dict[Any, dict[str, Any]]:
    rows = model._default_manager.filter(**model.partition(name, generation)).values(*columns)
    key = model._meta.get_field(model.key_field).get_attname()  # type: ignore[union-attr]
    return {row[key]: row for row in rows}


def _sample(found: TableDifference, kind: str, row: dict[str, Any]) -> None:
    if len(found.samples[kind]) < SAMPLES:
        found.samples[kind].append(row)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {column: _value(value) for column, value in row.items()}


def _value(value: Any) -> Any:
    """A cell as JSON can hold it (ids, instants and amounts as text)."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def describe(differences: dict[str, Any]) -> list[str]:
    """Lines for a terminal: per table its counts, then its samples."""
    lines = []
    for table in differences.get("tables", []):
        lines.append(
            f"{table['table']}: {table['added']} added, {table['removed']} removed, "
            f"{table['changed']} changed ({table['rows_live']} live rows, "
            f"{table['rows_rebuilt']} rebuilt)"
        )
        for row in table["samples"]["changed"]:
            changes = ", ".join(
                f"{column} {old!r} -> {new!r}" for column, (old, new) in row["columns"].items()
            )
            lines.append(f"  changed {row['key']}: {changes}")
        for kind in ("added", "removed"):
            lines += [f"  {kind} {row}" for row in table["samples"][kind]]
    return lines
