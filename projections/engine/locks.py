"""One runner per projection (docs/architecture.md, invariant 8).

A runner holds its projection by locking the projection's state row for the length
of one batch transaction. On PostgreSQL that is ``SELECT ... FOR UPDATE SKIP
LOCKED``: a second runner skips the projection instead of queueing behind it, and a
runner that dies loses its transaction and with it the lock. SQLite has no row
locks but a single database write lock: Chronicle's connections begin transactions
IMMEDIATE (settings), and the claim's first statement writes the state row anyway,
so a second runner waits for the first one's commit and then reads its checkpoint.
A subscriber's batch spans transactions: it holds a lease (below).
"""

from __future__ import annotations

import datetime as dt
import zlib

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
# do. It takes a lease instead, which every commit of the holder checks first under
# the row lock (a runner that lost its lease has been replaced and must stop):
#
# - On PostgreSQL, a session-level advisory lock of the runner's connection
#   (``pg_try_advisory_lock``). It outlives the runner's transactions and ends with
#   its session: a runner that is killed, or whose connection breaks, frees its place
#   as soon as PostgreSQL sees the connection close, not when some time runs out.
#   The connection must be the runner's own for the batch (no transaction-pooling
#   proxy between Chronicle and PostgreSQL).
# - Elsewhere (SQLite: one machine and one write lock), a time lease in the state
#   row: who holds it and until when, written under ``claim`` so two runners never
#   both take it. Every commit renews it; a runner that dies holds it until it
#   expires, and then another carries on.

ADVISORY_NAMESPACE = 0x43_48  # the first key of Chronicle's advisory locks ("CH")


class LeaseLost(RuntimeError):
    """Another runner took over the lease; the caller must stop without committing."""


def lease(name: str, owner: str, duration: dt.timedelta) -> ProjectionState | None:
    """Take ``name``'s lease for ``owner``; None if another runner holds it.

    On PostgreSQL the lease is this connection's session lock and ``duration`` is
    unused; elsewhere it is taken in a transaction of its own and lasts ``duration``.
    """
    if _session_locks():
        return _take_session_lock(name)
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

    Call inside ``atomic``; raises ``LeaseLost`` if the lease is no longer this
    runner's (another runner holds it now, or, on PostgreSQL, this connection's
    session lock went with a broken connection).
    """
    if _session_locks():
        if not _holds_session_lock(name):
            raise LeaseLost(f"{name}: this connection no longer holds the runner's lock")
        state = claim(name, wait=True)
        assert state is not None  # claim(wait=True) waits for the row, created by lease
        return state
    state = claim(name, wait=True)
    if state is None or state.leased_by != owner:
        raise LeaseLost(f"{name}: the lease of {owner} passed to {state and state.leased_by}")
    state.leased_until = timezone.now() + duration
    return state


def release(name: str, owner: str) -> None:
    """Give the lease back, if ``owner`` still holds it."""
    if _session_locks():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s::int4, %s::int4)", advisory_key(name))
        return
    with transaction.atomic():
        ProjectionState.objects.filter(name=name, leased_by=owner).update(
            leased_by="", leased_until=None
        )


def _session_locks() -> bool:
    return connection.vendor == "postgresql"


def advisory_key(name: str) -> tuple[int, int]:
    """The two 32-bit keys of ``name``'s advisory lock (non-negative, as pg_locks shows)."""
    return ADVISORY_NAMESPACE, zlib.crc32(name.encode()) & 0x7FFF_FFFF


def _take_session_lock(name: str) -> ProjectionState | None:
    """None if another session holds the lock, or this one does already: PostgreSQL
    would stack it, and a runner nested in the same connection (a synchronous task
    run by a command's wake-up) must not run beside the one holding it."""
    key = advisory_key(name)
    if _holds_session_lock(name):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int4, %s::int4)", key)
        if not cursor.fetchone()[0]:
            return None
    return ProjectionState.objects.get(name=name)


def _holds_session_lock(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid = pg_backend_pid() AND classid = %s::oid AND objid = %s::oid"
            " AND objsubid = 2)",
            advisory_key(name),
        )
        return bool(cursor.fetchone()[0])
