"""The one backoff of a failing reader of the log (projections, subscribers, process managers)."""

import datetime as dt

from eventstore.backoff import wait_after


def test_a_failing_reader_waits_one_second_then_twice_as_long_after_each_failure():
    assert [wait_after(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 8, 16]


def test_the_wait_never_passes_five_minutes_however_long_the_fault_lasts():
    five_minutes = dt.timedelta(minutes=5)
    assert wait_after(9) < five_minutes
    assert wait_after(10) == wait_after(10_000) == five_minutes
