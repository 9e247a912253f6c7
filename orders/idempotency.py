"""Idempotency-Key handling: the same request twice answers once.

Keys belong to their sender: every function takes the authenticated user's id, and
the same key from two users is two independent requests (no user learns of, or can
block, another's keys). The fingerprint is user + method + path + canonical JSON
body. A key is claimed in its own short transaction before the command runs (on
PostgreSQL one statement, which also reads the record of a key held already),
completed inside the command's transaction (with the events), and released when
the command is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from orders.models import IdempotencyRecord
from problems import Problem

# A PROCESSING claim older than this belongs to a request that died.
ABANDONED_AFTER = dt.timedelta(seconds=60)


class KeyInUse(Problem):
    status = 409
    code = "idempotency_key_in_use"
    title = "Idempotency key in use"


class KeyReused(Problem):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any
    etag: str
    location: str = ""  # a 201's Location, replayed with the rest

    @property
    def headers(self) -> dict[str, str]:
        headers = {"ETag": self.etag}
        if self.location:
            headers["Location"] = self.location
        return headers


def fingerprint(user_id: Any, method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        [str(user_id), method.upper(), path.rstrip("/"), body],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(user_id: Any, key: str, print_: str) -> StoredResponse | None:
    """Claim ``user_id``'s ``key`` for this request, or return the response stored for it."""
    now = timezone.now()
    record = _claimed_or_held(user_id, key, print_, now)
    if record is None:
        return None
    if record.fingerprint != print_:
        raise KeyReused("this Idempotency-Key was used with a different request")
    if record.state == IdempotencyRecord.DONE:
        return StoredResponse(
            record.response_status or 200, record.response_body, record.etag, record.location
        )
    taken_over = IdempotencyRecord.objects.filter(
        pk=record.pk, state=IdempotencyRecord.PROCESSING, created_at__lt=now - ABANDONED_AFTER
    ).update(created_at=now)
    if not taken_over:
        raise KeyInUse("a request with this Idempotency-Key is still being processed")
    return None


# PostgreSQL: the claim and, when the key is held already, its record in one statement.
# The SELECT sees the table as the statement began: a claim that committed while the
# INSERT waited on it is not among its rows (then the record is read apart).
_CLAIM = f"""
    WITH claimed AS (
        INSERT INTO {IdempotencyRecord._meta.db_table}
               (user_id, key, fingerprint, state, etag, location, created_at)
        VALUES (%s, %s, %s, %s, '', '', %s)
        ON CONFLICT (user_id, key) DO NOTHING
        RETURNING id
    )
    SELECT id, NULL, NULL, NULL, NULL, NULL, NULL FROM claimed
    UNION ALL
    SELECT id, fingerprint, state, response_status, response_body::text, etag, location
      FROM {IdempotencyRecord._meta.db_table}
     WHERE user_id = %s AND key = %s AND NOT EXISTS (SELECT FROM claimed)"""


def _claimed_or_held(
    user_id: Any, key: str, print_: str, now: dt.datetime
) -> IdempotencyRecord | None:
    """Claim the key (None), or the record that holds it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _CLAIM, [user_id, key, print_, IdempotencyRecord.PROCESSING, now, user_id, key]
            )
            row = cursor.fetchone()
        if row is not None and row[1] is None:
            return None
        if row is not None:
            pk, fingerprint, state, status, body, etag, location = row
            return IdempotencyRecord(
                pk=pk,
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                state=state,
                response_status=status,
                response_body=None if body is None else json.loads(body),
                etag=etag,
                location=location,
            )
    else:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user_id=user_id, key=key, fingerprint=print_, created_at=now
                )
                return None
        except IntegrityError:
            pass
    return IdempotencyRecord.objects.get(user_id=user_id, key=key)


def complete(user_id: Any, key: str, response: StoredResponse) -> None:
    """Store the response; call inside the command's transaction."""
    IdempotencyRecord.objects.filter(user_id=user_id, key=key).update(
        state=IdempotencyRecord.DONE,
        response_status=response.status,
        response_body=response.body,
        etag=response.etag,
        location=response.location,
        completed_at=timezone.now(),
    )


def release(user_id: Any, key: str) -> None:
    IdempotencyRecord.objects.filter(
        user_id=user_id, key=key, state=IdempotencyRecord.PROCESSING
    ).delete()
