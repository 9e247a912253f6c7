"""One runner per process manager: ``eventstore.subscriptions.leases`` over ``ProcessState``."""

from __future__ import annotations

import datetime as dt

from eventstore.subscriptions import leases
from eventstore.subscriptions.leases import LeaseLost, advisory_key
from orders.processes.state import ProcessState

__all__ = ["LeaseLost", "advisory_key", "ensure", "hold", "lease", "release"]


def ensure(name: str) -> ProcessState:
    """The process's state row, created if missing (call outside the batch transaction)."""
    return leases.ensure(ProcessState, name)


def lease(name: str, owner: str, duration: dt.timedelta) -> ProcessState | None:
    """Take the process's lease for ``owner``; None if another runner holds it."""
    return leases.lease(ProcessState, name, owner, duration)


def hold(name: str, owner: str, duration: dt.timedelta) -> ProcessState:
    """Lock the process's row in this transaction and renew the lease, or ``LeaseLost``."""
    return leases.hold(ProcessState, name, owner, duration)


def release(name: str, owner: str) -> None:
    """Give the lease back, if ``owner`` still holds it."""
    leases.release(ProcessState, name, owner)
