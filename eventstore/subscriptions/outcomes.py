"""What one batch of a reader of the log did, and what a bounded run of batches did."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


class Outcome(enum.Enum):
    APPLIED = "applied"  # read and applied a batch; there may be more
    SWITCHED = "switched"  # a rebuilt generation became active
    IDLE = "idle"  # nothing to read
    FAILED = "failed"  # a handler raised: stopped at that event
    WAITING = "waiting"  # backing off after a failure
    BUSY = "busy"  # another runner holds the projection
    HELD = "held"  # a verified rebuild differs from the live rows: staff decide


@dataclass(frozen=True)
class BatchResult:
    outcome: Outcome
    events: int = 0
    rebuilding: bool = False
    rebuild_can_go_on: bool = False  # the active generation failed, the rebuild did not

    @property
    def may_have_more(self) -> bool:
        return self.outcome in (Outcome.APPLIED, Outcome.SWITCHED) or self.rebuild_can_go_on


@dataclass
class Report:
    """What a bounded run did: events applied per projection, and who is still behind."""

    events: dict[str, int] = field(default_factory=dict)
    behind: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.events.values())


def in_rounds(
    advance: Callable[..., Report], names: Sequence[str], rounds: int, seconds: float
) -> Report:
    """Rounds of one batch per reader (every one when ``names`` is empty) until none is
    behind, ``rounds`` rounds or about ``seconds`` have gone by; so no reader's backlog
    keeps the others waiting. ``advance(names_or_None, max_batches=1)`` runs a round."""
    active: list[str] | None = list(names) if names else None
    deadline = time.monotonic() + seconds
    report = Report()
    for _ in range(rounds):
        found = advance(active, max_batches=1)
        for name, count in found.events.items():
            report.events[name] = report.events.get(name, 0) + count
        report.failed += [name for name in found.failed if name not in report.failed]
        report.behind = found.behind
        if not found.behind or time.monotonic() > deadline:
            break
        active = found.behind
    return report
