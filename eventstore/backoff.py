"""How long a failing reader of the log waits before it tries again.

Both the read side's engine (projections and subscribers) and the write side's
process managers read the global log and stop, or park, at an event they fail on;
eventstore is the one package both may import, so the rule lives here, once.
"""

from __future__ import annotations

import datetime as dt

MAX_WAIT_SECONDS = 300


def wait_after(failures: int) -> dt.timedelta:
    """The wait after ``failures`` failures in a row: 1 s after the first, doubling with
    each one after it, never more than ``MAX_WAIT_SECONDS`` (a reader keeps retrying
    at least every five minutes however long the fault lasts)."""
    return dt.timedelta(seconds=min(2 ** max(failures - 1, 0), MAX_WAIT_SECONDS))
