"""One runner per projection (docs/architecture.md, invariant 8).

A runner holds its projection by locking the projection's state row for the length
of one batch transaction. On PostgreSQL that is ``SELECT ... FOR UPDATE SKIP
LOCKED``: a second runner skips the projection instead of queueing behind it, and a
runner that dies loses its transaction and with it the lock. SQLite has no row
locks but a single database write lock: Chronicle's connections begin transactions
IMMEDIATE (settings), and the claim's first statement writes the state row anyway,
so a second runner waits for the first one's commit and then reads its checkpoint.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from projections.engine.state import ProjectionState


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


# Leases: holding a runner's place across transactions.
#
# A subscriber (projections.engine.subscribers) sends commands, each in a transaction of
# its own, so it cannot hold its row lock for a whole batch as projection runners
# do. It takes a lease instead: the row says who holds it and until when, written
# under ``claim`` so two runners never both take it. Every commit of the holder
# renews it and first checks that it still holds it (a runner too slow to renew
# in time has been replaced and must stop); a runner that dies holds it until it
# expires, and then another carries on.


class LeaseLost(RuntimeError):
    """Another runner took over the lease; the caller must stop without committing."""


def lease(name: str, owner: str, duration: dt.timedelta) -> ProjectionState | None:
    """Take ``name``'s lease for ``owner``, in a transaction of its own; None if held."""
    with transaction.atomic():
        state = claim(name)
        if state is None:
            return None
        now = timezone.now()
        held = state.leased_until is not None and state.leased_until > now
        if held and state.leased_by != owner:
            return None
        state.leased_by, state.leased_until = owner, now + duration
        state.save(update_fields=["leased_by", "leased_until"])
        return state


def hold(name: str, owner: str, duration: dt.timedelta) -> ProjectionState:
    """Lock ``name``'s row for the current transaction and renew ``owner``'s lease.

    Call inside ``atomic``; raises ``LeaseLost`` if another runner holds the lease now.
    """
    state = claim(name, wait=True)
    if state is None or state.leased_by != owner:
        raise LeaseLost(f"{name}: the lease of {owner} passed to {state and state.leased_by}")
    state.leased_until = timezone.now() + duration
    return state


def release(name: str, owner: str) -> None:
    """Give the lease back, if ``owner`` still holds it."""
    with transaction.atomic():
        ProjectionState.objects.filter(name=name, leased_by=owner).update(
            leased_by="", leased_until=None
        )
