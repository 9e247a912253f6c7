"""The workloads both sides run, their units and the targets of Chronicle ÷ peer.

Each side reports one figure per workload key; a rate is compared as Chronicle's
rate ÷ the peer's (higher is better), a duration as Chronicle's time ÷ the peer's
(lower is better). Plain Python: the peer's process imports nothing of Chronicle,
so its keys are repeated there (``bench/peers/peer.py``) and checked at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

RATE = "ev/s"
MS = "ms"


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    unit: str
    target: float  # the bound of the median ratio: ``>=`` for a rate, ``<=`` for a time

    @property
    def lower_is_better(self) -> bool:
        return self.unit == MS

    def met(self, ratio: float) -> bool:
        return ratio <= self.target if self.lower_is_better else ratio >= self.target

    def describe_target(self) -> str:
        return f"{'<=' if self.lower_is_better else '>='} {self.target:g}"


WORKLOADS = (
    Workload("a", "(a) append, 1 event per transaction", RATE, 2.0),
    Workload("b", "(b) command cycle: load, command, save", RATE, 1.5),
    Workload("c", "(c) one append of 1,000 events", RATE, 1.2),
    Workload("d", "(d) 4 concurrent writers", RATE, 2.0),
    Workload("e", "(e) load a 1,000-event aggregate", MS, 0.6),
    Workload("e-snap", "(e) load it from a snapshot", MS, 1.0),
    Workload("f", "(f) read the whole log, decoded", RATE, 1.3),
)
KEYS = tuple(workload.key for workload in WORKLOADS)
