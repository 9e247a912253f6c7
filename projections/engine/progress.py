"""A one-line progress bar: events done of total, events per second, time left."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

WIDTH = 30


def _clock() -> float:
    return time.monotonic()


@dataclass
class Progress:
    total: int
    done: int = 0
    started: float = field(default_factory=_clock)

    def advance(self, events: int) -> None:
        self.done += events
        self.total = max(self.total, self.done)

    def render(self, now: float | None = None) -> str:
        elapsed = max((now if now is not None else _clock()) - self.started, 1e-9)
        rate = self.done / elapsed
        fraction = self.done / self.total if self.total else 1.0
        filled = round(WIDTH * fraction)
        bar = "#" * filled + "." * (WIDTH - filled)
        left = (self.total - self.done) / rate if rate else None
        return (
            f"[{bar}] {self.done:,}/{self.total:,} events  {rate:,.0f} events/s  "
            f"ETA {_duration(left)}"
        )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
