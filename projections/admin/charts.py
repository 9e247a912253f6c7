"""A bar chart of events per hour, laid out on the server for an inline SVG.

No chart library and no JavaScript: this module computes rectangles, gridlines and
labels in chart units, and ``projections/admin/events_chart.html`` draws them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

WIDTH, HEIGHT = 960, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 24  # margins for the axis labels
HOUR = dt.timedelta(hours=1)
NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    start: dt.datetime
    count: int

    @property
    def label(self) -> str:
        end = self.start + HOUR
        noun = "event" if self.count == 1 else "events"
        return f"{self.start:%Y-%m-%d %H:%M}–{end:%H:%M}: {self.count} {noun}"


@dataclass(frozen=True)
class Mark:
    """A labelled position on an axis: a day on x, a count on y."""

    at: float
    label: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    days: list[Mark]
    levels: list[Mark]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def busiest(self) -> Bar | None:
        return max(self.bars, key=lambda bar: bar.count) if self.total else None


def hourly(counts: dict[dt.datetime, int], first_hour: dt.datetime, hours: int) -> BarChart:
    """One bar per hour from ``first_hour`` (inclusive, on the hour) for ``hours`` hours."""
    starts = [first_hour + n * HOUR for n in range(hours)]
    values = [counts.get(start, 0) for start in starts]
    peak = max(values, default=0)
    scale = _nice_ceiling(peak)
    slot = (WIDTH - LEFT - RIGHT) / hours
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for n, (start, count) in enumerate(zip(starts, values, strict=True)):
        height = plot * count / scale
        x = LEFT + n * slot + slot * 0.1
        bars.append(Bar(x, HEIGHT - BOTTOM - height, slot * 0.8, height, start, count))
    days = [
        Mark(LEFT + n * slot, f"{start:%a %d %b}")
        for n, start in enumerate(starts)
        if start.hour == 0
    ]
    steps = (0, scale // 2, scale) if scale % 2 == 0 else (0, scale)
    levels = [Mark(HEIGHT - BOTTOM - plot * level / scale, str(level)) for level in steps]
    return BarChart(bars, days, levels, peak, sum(values))


def _nice_ceiling(value: int) -> int:
    """The smallest whole 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten that is at
    or above ``value`` (and at least 2): 2, 3, 4, 5, 6, 8, 10, 15, 20, 25, 30, 40..."""
    for power in (10**n for n in itertools.count()):
        for step in NICE:
            nice = step * power
            if nice >= max(value, 2) and nice == int(nice):
                return int(nice)
    raise AssertionError("unreachable")
