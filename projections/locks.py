"""One runner per projection (DESIGN.md, invariant 7).

A runner holds its projection by locking the projection's state row for the length
of one batch transaction. On PostgreSQL that is ``SELECT ... FOR UPDATE SKIP
LOCKED``: a second runner skips the projection instead of queueing behind it, and a
runner that dies loses its transaction and with it the lock. SQLite has no row
locks but a single database write lock: Chronicle's connections begin transactions
IMMEDIATE (settings), and the claim's first statement writes the state row anyway,
so a second runner waits for the first one's commit and then reads its checkpoint.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from projections.models import ProjectionState


def ensure(name: str) -> ProjectionState:
    """The state row, created if missing. Call outside the batch transaction, so that a
    new row is committed (and lockable by everyone) before runners compete for it."""
    return ProjectionState.objects.get_or_create(name=name)[0]


def claim(name: str, *, wait: bool = False) -> ProjectionState | None:
    """Lock ``name``'s state row for the current transaction (creating it if missing).

    None when another runner holds it and ``wait`` is false. Call inside ``atomic``.
    """
    if connection.features.has_select_for_update_skip_locked:
        return _claim_row_lock(name, wait)
    return _claim_write_lock(name)


def _claim_row_lock(name: str, wait: bool) -> ProjectionState | None:
    rows = ProjectionState.objects.filter(name=name).select_for_update(skip_locked=not wait)
    state = rows.first()
    if state is None and not ProjectionState.objects.filter(name=name).exists():
        ProjectionState.objects.get_or_create(name=name)
        state = rows.first()
    return state


def _claim_write_lock(name: str) -> ProjectionState:
    rows = ProjectionState.objects.filter(name=name)
    if not rows.update(claimed_at=timezone.now()):
        ProjectionState.objects.get_or_create(name=name, defaults={"claimed_at": timezone.now()})
    return rows.get()
