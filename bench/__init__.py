"""Chronicle's benchmarks: they print figures, they assert nothing.

Usage, from the project root::

    make bench                                  # every benchmark on the configured database
    python -m bench --only eventstore           # one benchmark (repeat --only for several)
    python -m bench --orders 200 --repeat 1     # a quick smoke run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chronicle python -m bench

The configured database (``DATABASE_URL``, else the SQLite default) only says where
to run. Each run creates its own throwaway database beside it (PostgreSQL:
``chronicle_bench_<pid>``, created through the ``postgres`` maintenance database and
dropped at the end; SQLite: a file in a temporary directory), migrates it and never
touches the developer's data. Django runs with ``DEBUG`` off, as in production: with
it on, every query is also logged in memory.

A benchmark is a sibling module with ``run(options) -> list[Row]`` listed in
``bench.__main__.BENCHMARKS``; this module holds what they share: the row of the
printed table, its targets and the table itself. Nothing here imports Django, so
``__main__`` can import it before settings are configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RATE = "ev/s"
MS = "ms"


@dataclass(frozen=True)
class Target:
    """A goal for one figure: ``value >= bound`` (or ``<=`` with ``at_most``).

    With ``of_baseline`` the bound is a fraction of the baseline's value.
    """

    bound: float
    at_most: bool = False
    of_baseline: bool = False

    def met(self, value: float, baseline: float | None) -> bool:
        bound = self.bound * (baseline or 0.0) if self.of_baseline else self.bound
        return value <= bound if self.at_most else value >= bound

    def describe(self) -> str:
        sign = "<=" if self.at_most else ">="
        if self.of_baseline:
            return f"{sign} {self.bound:.0%} of baseline"
        return f"{sign} {self.bound:,g}"


@dataclass(frozen=True)
class Row:
    """One printed figure; ``baseline`` names another row (its ``key``) to compare with."""

    key: str
    label: str
    value: float
    unit: str
    baseline: str | None = None
    target: Target | None = None


def render(rows: Sequence[Row], *, judge: bool) -> str:
    """The table; ``judge`` adds a met/MISSED column (targets are set for PostgreSQL)."""
    by_key = {row.key: row for row in rows}
    header = ["figure", "value", "vs baseline", "target"] + (["met"] if judge else [])
    lines = [header] + [_cells(row, by_key, judge) for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [_join(line, widths) for line in lines]
    out.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(out)


def _cells(row: Row, by_key: dict[str, Row], judge: bool) -> list[str]:
    base = by_key.get(row.baseline) if row.baseline else None
    base_value = base.value if base else None
    cells = [
        row.label,
        f"{_number(row.value)} {row.unit}",
        _ratio(row, base) if base else "",
        row.target.describe() if row.target else "",
    ]
    if judge:
        met = row.target.met(row.value, base_value) if row.target else None
        cells.append({True: "yes", False: "MISSED", None: ""}[met])
    return cells


def _ratio(row: Row, base: Row) -> str:
    # A rate compares as a share of the baseline's rate; a duration as a multiple of its time.
    if row.unit == MS:
        return f"{row.value / base.value:.2f}x {base.key}"
    return f"{row.value / base.value:.0%} of {base.key}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


def _join(cells: list[str], widths: list[int]) -> str:
    first, *rest = cells
    right = [cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True)]
    return "  ".join([first.ljust(widths[0]), *right])
