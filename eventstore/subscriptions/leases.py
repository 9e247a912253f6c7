"""One runner per reader of the log (docs/architecture.md, invariant 8).

``claim`` locks a reader's state row for the current transaction. On PostgreSQL that
is ``SELECT ... FOR UPDATE SKIP LOCKED``: a second runner skips the reader instead of
queueing behind it, and a runner that dies loses its transaction and with it the
lock. SQLite has no row locks but a single database write lock: Chronicle's
connections begin transactions IMMEDIATE (settings), and the claim's first statement
writes the row anyway, so a second runner waits for the first one's commit.

A runner whose batch spans transactions (a process manager sends commands, each in a
transaction of its own) takes a lease instead, which every commit of the holder
checks first under the row lock (a runner that lost its lease must stop):

- On PostgreSQL, a session-level advisory lock of the runner's connection
  (``pg_try_advisory_lock``). It ends with its session: a runner that is killed, or
  whose connection breaks, frees its place as soon as PostgreSQL sees the connection
  close. The connection must be the runner's own for the batch (no
  transaction-pooling proxy between Chronicle and PostgreSQL).
- Elsewhere (SQLite: one machine and one write lock), a time lease in the state row
  (``leased_by``, ``leased_until``), written under ``claim`` so two runners never
  both take it. Every commit renews it; a runner that dies holds it until it expires.

Every function takes the state model (any model with ``name`` and ``claimed_at``;
leases also need ``leased_by`` and ``leased_until``, as ``SubscriptionState`` has).
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone

State = TypeVar("State", bound=models.Model)

ADVISORY_NAMESPACE = 0x43_48  # the first key of Chronicle's advisory locks ("CH")


class LeaseLost(RuntimeError):
    """Another runner took over the lease; the caller must stop without committing."""


def ensure(model: type[State], name: str) -> State:
    """The state row, created if missing. Call outside the batch transaction, so that a
    new row is committed (and lockable by everyone) before runners compete for it."""
    return _rows(model).get_or_create(name=name)[0]


def claim(model: type[State], name: str, *, wait: bool = False) -> State | None:
    """Lock ``name``'s state row for the current transaction (creating it if missing).

    None when another runner holds it and ``wait`` is false. Call inside ``atomic``.
    """
    if connection.features.has_select_for_update_skip_locked:
        rows = _rows(model).filter(name=name).select_for_update(skip_locked=not wait)
        state = rows.first()
        if state is None and not _rows(model).filter(name=name).exists():
            _rows(model).get_or_create(name=name)
            state = rows.first()
        return state
    rows = _rows(model).filter(name=name)
    if not rows.update(claimed_at=timezone.now()):
        _rows(model).get_or_create(name=name, defaults={"claimed_at": timezone.now()})
    return rows.get()


def lease(model: type[State], name: str, owner: str, duration: dt.timedelta) -> State | None:
    """Take ``name``'s lease for ``owner``; None if another runner holds it.

    On PostgreSQL the lease is this connection's session lock and ``duration`` is
    unused; elsewhere it is taken in a transaction of its own and lasts ``duration``.
    """
    if _session_locks():
        return _take_session_lock(model, name)
    with transaction.atomic():
        state: Any = claim(model, name)
        if state is None:
            return None
        now = timezone.now()
        held = state.leased_until is not None and state.leased_until > now
        if held and state.leased_by != owner:
            return None
        state.leased_by, state.leased_until = owner, now + duration
        state.save(update_fields=["leased_by", "leased_until"])
        return state  # type: ignore[no-any-return]


def hold(model: type[State], name: str, owner: str, duration: dt.timedelta) -> State:
    """Lock ``name``'s row for the current transaction and renew ``owner``'s lease.

    Call inside ``atomic``; raises ``LeaseLost`` if the lease is no longer this
    runner's (another runner holds it now, or, on PostgreSQL, this connection's
    session lock went with a broken connection).
    """
    if _session_locks():
        if not holds_session_lock(name):
            raise LeaseLost(f"{name}: this connection no longer holds the runner's lock")
        locked = claim(model, name, wait=True)
        assert locked is not None  # claim(wait=True) waits for the row, created by lease
        return locked
    state: Any = claim(model, name, wait=True)
    if state is None or state.leased_by != owner:
        raise LeaseLost(f"{name}: the lease of {owner} passed to {state and state.leased_by}")
    state.leased_until = timezone.now() + duration
    return state  # type: ignore[no-any-return]


def release(model: type[State], name: str, owner: str) -> None:
    """Give the lease back, if ``owner`` still holds it."""
    if _session_locks():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s::int4, %s::int4)", advisory_key(name))
        return
    with transaction.atomic():
        _rows(model).filter(name=name, leased_by=owner).update(leased_by="", leased_until=None)


def advisory_key(name: str) -> tuple[int, int]:
    """The two 32-bit keys of ``name``'s advisory lock (non-negative, as pg_locks shows)."""
    return ADVISORY_NAMESPACE, zlib.crc32(name.encode()) & 0x7FFF_FFFF


def holds_session_lock(name: str) -> bool:
    """Whether this connection holds ``name``'s advisory lock (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid = pg_backend_pid() AND classid = %s::oid AND objid = %s::oid"
            " AND objsubid = 2)",
            advisory_key(name),
        )
        return bool(cursor.fetchone()[0])


def _rows(model: type[State]) -> Any:
    return model._default_manager


def _session_locks() -> bool:
    return connection.vendor == "postgresql"


def _take_session_lock(model: type[State], name: str) -> State | None:
    """None if another session holds the lock, or this one does already: PostgreSQL
    would stack it, and a runner nested in the same connection (a synchronous task
    run by a command's wake-up) must not run beside the one holding it."""
    if holds_session_lock(name):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int4, %s::int4)", advisory_key(name))
        if not cursor.fetchone()[0]:
            return None
    return _rows(model).get(name=name)  # type: ignore[no-any-return]
