"""What one batch of a reader of the log did, and what a bounded run of batches did."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Outcome(enum.Enum):
    APPLIED = "applied"  # read and applied a batch; there may be more
    SWITCHED = "switched"  # a rebuilt generation became active
    IDLE = "idle"  # nothing to read
    FAILED = "failed"  # a handler raised: stopped at that event
    WAITING = "waiting"  # backing off after a failure
    BUSY = "busy"  # another runner holds the projection


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
