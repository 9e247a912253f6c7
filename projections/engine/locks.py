"""One runner per projection (docs/architecture.md, invariant 8).

A runner holds its projection by locking the projection's state row for the length
of one batch transaction (``eventstore.subscriptions.leases.claim``: a skip-locked row
lock on PostgreSQL, the database write lock on SQLite).
"""

from __future__ import annotations

from eventstore.subscriptions import leases
from projections.engine.state import ProjectionState


def ensure(name: str) -> ProjectionState:
    """The state row, created if missing. Call outside the batch transaction, so that a
    new row is committed (and lockable by everyone) before runners compete for it."""
    return leases.ensure(ProjectionState, name)


def claim(name: str, *, wait: bool = False) -> ProjectionState | None:
    """Lock ``name``'s state row for the current transaction (creating it if missing).

    None when another runner holds it and ``wait`` is false. Call inside ``atomic``.
    """
    return leases.claim(ProjectionState, name, wait=wait)
