"""Alternating rounds, per-round ratios and the verdicts drawn from them.

Noise on a shared machine moves one run's figures by a factor of two, so a verdict
never rests on one measurement: each round measures both sides back to back (the
side that goes first alternates, so a drift in the machine weighs on both), the
ratio is taken within the round, and the verdict is the median of the rounds'
ratios. A round due to start while the 1-minute load average is above ``max_load``
waits ``pause`` seconds and starts again; after ``max_reruns`` such restarts in a
run the remaining rounds run whatever the load, marked as busy.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from bench.peers.workloads import Workload

Figures = Mapping[str, float]  # workload key -> rate or milliseconds
Side = Callable[[int], Figures]  # round number -> that side's figures
SAY = partial(print, flush=True)  # progress reaches a redirected output as it happens


@dataclass(frozen=True)
class Round:
    number: int
    load: float  # the 1-minute load average when the round started
    chronicle: Figures
    peer: Figures
    busy: bool = False  # started above the load threshold: no rerun was left

    def ratio(self, key: str) -> float:
        """Chronicle ÷ peer for ``key``: rates and durations alike."""
        return self.chronicle[key] / self.peer[key]


@dataclass(frozen=True)
class Verdict:
    workload: Workload
    ratios: Sequence[float]
    median: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "median", statistics.median(self.ratios))

    @property
    def low(self) -> float:
        return min(self.ratios)

    @property
    def high(self) -> float:
        return max(self.ratios)

    @property
    def met(self) -> bool:
        return self.workload.met(self.median)


def verdicts(workloads: Sequence[Workload], rounds: Sequence[Round]) -> list[Verdict]:
    return [Verdict(w, [r.ratio(w.key) for r in rounds]) for w in workloads]


def first_side(number: int) -> str:
    """Which side measures first in round ``number``: Chronicle in even rounds."""
    return "chronicle" if number % 2 == 0 else "peer"


def run_rounds(
    count: int,
    chronicle: Side,
    peer: Side,
    *,
    max_load: float,
    max_reruns: int,
    pause: float = 20.0,
    load: Callable[[], float] = lambda: os.getloadavg()[0],
    wait: Callable[[float], object] = time.sleep,
    say: Callable[[str], object] = SAY,
) -> list[Round]:
    sides = {"chronicle": chronicle, "peer": peer}
    rounds: list[Round] = []
    reruns = 0
    while len(rounds) < count:
        number, started_at = len(rounds), load()
        busy = started_at > max_load
        if busy and reruns < max_reruns:
            reruns += 1
            say(
                f"round {number + 1}: load {started_at:.2f} > {max_load:g}, "
                f"starting again in {pause:g} s (rerun {reruns} of {max_reruns})"
            )
            wait(pause)
            continue
        first = first_side(number)
        second = "peer" if first == "chronicle" else "chronicle"
        figures = {first: sides[first](number)}
        figures[second] = sides[second](number)
        rounds.append(Round(number, started_at, figures["chronicle"], figures["peer"], busy))
        say(f"round {number + 1} done ({first} first, load {started_at:.2f} at its start)")
    return rounds
