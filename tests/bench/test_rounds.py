"""The pure parts of ``make bench-peers``: rounds, reruns, ratios, verdicts, their table."""

from __future__ import annotations

from bench.peers import report
from bench.peers.rounds import Round, first_side, run_rounds, verdicts
from bench.peers.workloads import MS, RATE, Workload

APPEND = Workload("a", "append", RATE, 2.0)
LOAD = Workload("e", "load", MS, 0.6)


def rounds_with(loads, *, count=1, max_load=2.0, max_reruns=3):
    """Run ``count`` rounds whose load readings are ``loads``; what happened, in order."""
    seen: list[str] = []
    readings = iter(loads)

    def side(name, figure):
        return lambda number: seen.append(f"{name}{number}") or {"a": figure}

    done = run_rounds(
        count,
        side("chronicle", 300.0),
        side("peer", 100.0),
        max_load=max_load,
        max_reruns=max_reruns,
        pause=7,
        load=lambda: next(readings),
        wait=lambda seconds: seen.append(f"wait{seconds:g}"),
        say=lambda line: None,
    )
    return done, seen


def test_a_round_due_to_start_above_the_load_threshold_waits_and_starts_again():
    done, seen = rounds_with([3.5, 1.2])
    assert seen == ["wait7", "chronicle0", "peer0"]
    assert [(r.load, r.busy) for r in done] == [(1.2, False)]


def test_reruns_are_bounded_and_the_round_then_runs_marked_busy():
    done, seen = rounds_with([5.0] * 10, count=2, max_reruns=2)
    assert seen == ["wait7", "wait7", "chronicle0", "peer0", "peer1", "chronicle1"]
    assert [(r.load, r.busy) for r in done] == [(5.0, True), (5.0, True)]


def test_a_load_at_the_threshold_is_not_a_rerun():
    done, seen = rounds_with([2.0])
    assert seen == ["chronicle0", "peer0"]
    assert not done[0].busy


def test_the_side_that_measures_first_alternates_from_round_to_round():
    assert [first_side(n) for n in range(4)] == ["chronicle", "peer", "chronicle", "peer"]
    _, seen = rounds_with([0.1] * 3, count=3)
    assert seen == ["chronicle0", "peer0", "peer1", "chronicle1", "chronicle2", "peer2"]


def test_a_round_s_ratio_is_chronicle_over_the_peer():
    one = Round(0, 0.5, chronicle={"a": 300.0, "e": 12.0}, peer={"a": 100.0, "e": 24.0})
    assert one.ratio("a") == 3.0
    assert one.ratio("e") == 0.5


def test_the_verdict_is_the_median_of_the_rounds_ratios_with_their_spread():
    peer = {"a": 100.0}
    rounds = [Round(n, 0.5, {"a": rate}, peer) for n, rate in enumerate((50.0, 210.0, 900.0))]
    (verdict,) = verdicts([APPEND], rounds)
    assert verdict.ratios == [0.5, 2.1, 9.0]
    assert (verdict.median, verdict.low, verdict.high) == (2.1, 0.5, 9.0)
    assert verdict.met  # the mean (3.87) and the worst round (0.5) would say otherwise


def test_a_rate_target_is_a_floor_and_a_time_target_a_ceiling():
    assert APPEND.met(2.0) and not APPEND.met(1.99)
    assert LOAD.met(0.6) and not LOAD.met(0.61)
    assert (APPEND.describe_target(), LOAD.describe_target()) == (">= 2", "<= 0.6")


def test_the_ratio_table_shows_each_round_the_median_the_verdict_and_busy_rounds():
    peer = {"a": 100.0}
    rounds = [Round(0, 0.7, {"a": 150.0}, peer), Round(1, 3.1, {"a": 170.0}, peer, busy=True)]
    printed = report.ratios(verdicts([APPEND], rounds), rounds)
    header, _, append, load, *notes = printed.splitlines()
    assert header.split() == [*"Chronicle ÷ peer".split(), "r1", "r2*"] + [
        "median",
        "min-max",
        "target",
        "met",
    ]
    assert append.split()[-7:] == ["1.50", "1.70", "1.60", "1.50-1.70", ">=", "2", "MISSED"]
    assert load.split()[-2:] == ["0.70", "3.10"]
    assert any("--max-load" in note for note in notes)
