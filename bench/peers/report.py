"""The printed tables: per-round ratios with their verdicts, each side's medians,
and the raw baselines."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from bench.peers.rounds import Round, Verdict
from bench.peers.workloads import WORKLOADS

RAW = (
    ("insert-1", "raw: one autocommit INSERT per event"),
    ("insert-multi", "raw: one multi-row INSERT of 1,000 rows"),
    ("copy", "raw: COPY of 1,000 rows in one transaction"),
    ("select", "raw: SELECT of the log, JSON as text"),
    ("select-decoded", "raw: SELECT of the log, JSON decoded"),
)
SQLITE_COPY = "raw: executemany of 1,000 rows in one transaction (no COPY)"


def table(lines: Sequence[Sequence[str]]) -> str:
    """Left-aligned first column, the others right-aligned; a rule under the header."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = [
        "  ".join(
            [line[0].ljust(widths[0])]
            + [c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
        )
        for line in lines
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def ratios(verdicts: Sequence[Verdict], rounds: Sequence[Round]) -> str:
    marks = ["*" if r.busy else "" for r in rounds]
    header = ["Chronicle ÷ peer", *(f"r{r.number + 1}{'*' if r.busy else ''}" for r in rounds)]
    lines = [header + ["median", "min-max", "target", "met"]]
    for v in verdicts:
        per_round = [f"{ratio:.2f}" for ratio in v.ratios]
        spread = f"{v.low:.2f}-{v.high:.2f}"
        met = "yes" if v.met else "MISSED"
        lines.append(
            [
                v.workload.label,
                *per_round,
                f"{v.median:.2f}",
                spread,
                v.workload.describe_target(),
                met,
            ]
        )
    lines.append(
        ["load average at round start", *(f"{r.load:.2f}" for r in rounds), "", "", "", ""]
    )
    note = "\n(times: Chronicle's ms ÷ the peer's, lower is better; rates: higher is better)"
    if any(marks):
        note += "\n* started above --max-load after the reruns ran out"
    return table(lines) + note


def figures(rounds: Sequence[Round], peer_name: str) -> str:
    lines = [["median of the rounds", "Chronicle", peer_name, "unit"]]
    for w in WORKLOADS:
        mine = statistics.median(r.chronicle[w.key] for r in rounds)
        theirs = statistics.median(r.peer[w.key] for r in rounds)
        lines.append([w.label, number(mine), number(theirs), w.unit])
    last = rounds[-1]
    lines.append(
        [
            "events in the log at the last (f)",
            number(last.chronicle["log-events"]),
            number(last.peer["log-events"]),
            "events",
        ]
    )
    return table(lines)


def raw(baselines: Mapping[str, float], *, postgres: bool) -> str:
    lines = [["raw baseline (bare driver, Chronicle's table)", "rate", "unit"]]
    for key, label in RAW:
        shown = label if postgres or key != "copy" else SQLITE_COPY
        lines.append([shown, number(baselines[key]), "rows/s"])
    lines.append(["rows in the log read", number(baselines["log-rows"]), "rows"])
    return table(lines)


def number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
