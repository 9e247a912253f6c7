"""A bar chart of events over time, laid out on the server for an inline SVG.

No chart library and no JavaScript: this module computes rectangles, gridlines and
labels in chart units, and ``projections/admin/events_chart.html`` draws them. The
bars' width in time (a second, a minute, an hour or a day) follows the span of the
history (``scale_for``): a history seeded a minute ago spreads over seconds instead
of landing in one hourly bar, and one of months over days.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models.functions import TruncDay, TruncHour, TruncMinute, TruncSecond

WIDTH, HEIGHT = 960, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 24  # margins for the axis labels
HOUR = dt.timedelta(hours=1)
NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
MIN_BARS, MAX_BARS = 30, 120


@dataclass(frozen=True)
class Scale:
    """One bar's width in time, and how its bars and axis marks are labelled."""

    noun: str
    step: dt.timedelta
    trunc: type  # the database function that puts a timestamp in its bar
    start_format: str
    end_format: str
    mark_format: str
    marks: Callable[[dt.datetime], bool]  # which bars' starts get an axis label

    def floor(self, moment: dt.datetime) -> dt.datetime:
        """The start of the bar ``moment`` falls in."""
        start = moment.replace(microsecond=0)
        if self.step >= dt.timedelta(minutes=1):
            start = start.replace(second=0)
        if self.step >= HOUR:
            start = start.replace(minute=0)
        if self.step >= dt.timedelta(days=1):
            start = start.replace(hour=0)
        return start


SECONDS = Scale(
    "second", dt.timedelta(seconds=1), TruncSecond,
    "%Y-%m-%d %H:%M:%S", "%H:%M:%S", "%H:%M:%S", lambda t: t.second % 15 == 0,
)  # fmt: skip
MINUTES = Scale(
    "minute", dt.timedelta(minutes=1), TruncMinute,
    "%Y-%m-%d %H:%M", "%H:%M", "%H:%M", lambda t: t.minute % 15 == 0,
)  # fmt: skip
HOURS = Scale(
    "hour", HOUR, TruncHour,
    "%Y-%m-%d %H:%M", "%H:%M", "%a %d %b", lambda t: t.hour == 0,
)  # fmt: skip
DAYS = Scale(
    "day", dt.timedelta(days=1), TruncDay,
    "%a %d %b %Y", "", "%d %b", lambda t: t.weekday() == 0,
)  # fmt: skip
SCALES = (SECONDS, MINUTES, HOURS, DAYS)


def scale_for(span: dt.timedelta) -> Scale:
    """The finest scale that shows ``span`` (the oldest event to now) in at most
    ``MAX_BARS`` bars; days beyond that (the chart then shows the last ``MAX_BARS``)."""
    for scale in SCALES:
        if span < scale.step * MAX_BARS:
            return scale
    return DAYS


def bars_for(span: dt.timedelta, scale: Scale) -> int:
    """How many bars: the whole span, at least ``MIN_BARS`` and at most ``MAX_BARS``."""
    return max(MIN_BARS, min(MAX_BARS, int(span / scale.step) + 1))


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    start: dt.datetime
    count: int
    scale: Scale

    @property
    def when(self) -> str:
        start = f"{self.start:{self.scale.start_format}}"
        if not self.scale.end_format:
            return start
        return f"{start}–{self.start + self.scale.step:{self.scale.end_format}}"

    @property
    def label(self) -> str:
        noun = "event" if self.count == 1 else "events"
        return f"{self.when}: {self.count} {noun}"


@dataclass(frozen=True)
class Mark:
    """A labelled position on an axis: a time on x, a count on y."""

    at: float
    label: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    marks: list[Mark]
    levels: list[Mark]
    peak: int
    total: int
    scale: Scale = HOURS
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def busiest(self) -> Bar | None:
        return max(self.bars, key=lambda bar: bar.count) if self.total else None


def bucketed(
    counts: dict[dt.datetime, int], scale: Scale, first: dt.datetime, bars: int
) -> BarChart:
    """One bar per ``scale.step`` from ``first`` (inclusive, a bar's start) for ``bars``."""
    starts = [first + n * scale.step for n in range(bars)]
    values = [counts.get(start, 0) for start in starts]
    peak = max(values, default=0)
    ceiling = _nice_ceiling(peak)
    slot = (WIDTH - LEFT - RIGHT) / bars
    plot = HEIGHT - TOP - BOTTOM
    drawn = []
    for n, (start, count) in enumerate(zip(starts, values, strict=True)):
        height = plot * count / ceiling
        x = LEFT + n * slot + slot * 0.1
        drawn.append(Bar(x, HEIGHT - BOTTOM - height, slot * 0.8, height, start, count, scale))
    marks = [
        Mark(LEFT + n * slot, f"{start:{scale.mark_format}}")
        for n, start in enumerate(starts)
        if scale.marks(start)
    ]
    steps = (0, ceiling // 2, ceiling) if ceiling % 2 == 0 else (0, ceiling)
    levels = [Mark(HEIGHT - BOTTOM - plot * level / ceiling, str(level)) for level in steps]
    return BarChart(drawn, marks, levels, peak, sum(values), scale)


def hourly(counts: dict[dt.datetime, int], first_hour: dt.datetime, hours: int) -> BarChart:
    """One bar per hour from ``first_hour`` (inclusive, on the hour) for ``hours`` hours."""
    return bucketed(counts, HOURS, first_hour, hours)


def _nice_ceiling(value: int) -> int:
    """The smallest whole 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten that is at
    or above ``value`` (and at least 2): 2, 3, 4, 5, 6, 8, 10, 15, 20, 25, 30, 40..."""
    for power in (10**n for n in itertools.count()):
        for step in NICE:
            nice = step * power
            if nice >= max(value, 2) and nice == int(nice):
                return int(nice)
    raise AssertionError("unreachable")
