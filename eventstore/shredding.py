"""Crypto-shredding: personal fields stored encrypted under a per-subject data key.

An event type lists its personal fields and the field naming whose data they are
(its subject, e.g. a customer id) once, where it is declared:
``@event("CustomerRegistered", personal=("name", "email"), subject="customer_id")``.
On append (``seal``) each string inside a personal field is replaced by
``enc:`` + base64(nonce ‖ AES-256-GCM ciphertext) under the subject's data key; on
every read of the log (``reveal``, called once per batch the store reads) they are
decrypted again. Data keys live in ``DataKey`` rows, wrapped by the key-encryption
key of ``settings.KEY_ENCRYPTION_KEY``, which is never in the database. Destroying a
subject's key (``destroy``) keeps its row with no key: its fields then read as
``ERASED``, and nothing can be encrypted for it any more. Values written before
encryption (plaintext) read as they are. See docs/architecture.md, invariant 14.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from eventstore.events import personal_fields
from eventstore.records import RecordedEvent

ERASED = "[erased]"
PREFIX = "enc:"
TABLE = "eventstore_datakey"
_NONCE = 12


class SubjectForgotten(Exception):
    """A personal value was to be encrypted for a subject whose key is destroyed."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"the data key of {subject} is destroyed")
        self.subject = subject


def key_encryption_key(encoded: str | None = None) -> bytes:
    """The 32-byte key-encryption key from its base64 form (the setting by default)."""
    text = settings.KEY_ENCRYPTION_KEY if encoded is None else encoded
    try:
        key = base64.b64decode(text or "", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("KEY_ENCRYPTION_KEY is not base64") from None
    if len(key) != 32:
        raise ValueError("KEY_ENCRYPTION_KEY must be 32 bytes, base64-encoded")
    return key


def wrap(data_key: bytes, subject: str, kek: bytes | None = None) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(kek or key_encryption_key()).encrypt(nonce, data_key, subject.encode())


def unwrap(wrapped: bytes, subject: str, kek: bytes | None = None) -> bytes:
    wrapped = bytes(wrapped)
    aead = AESGCM(kek or key_encryption_key())
    return aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], subject.encode())


# Keys


@dataclass(frozen=True)
class ReadKeys:
    """Data keys a read of the store fetched in its own statement (``eventstore.store``):
    every subject it asked for, and the wrapped keys it found (None: destroyed). A
    subject asked for and not found never had a key."""

    asked: frozenset[str]
    wrapped: Mapping[str, bytes | None]


def _keys(subjects: Iterable[str], using: str) -> dict[str, bytes | None]:
    """Unwrapped data keys of ``subjects`` (None: destroyed); absent: never had one."""
    wanted = sorted(set(subjects))
    if not wanted:
        return {}
    found: dict[str, bytes | None] = {}
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT subject, wrapped FROM {TABLE} WHERE subject IN "
            f"({','.join(['%s'] * len(wanted))})",
            wanted,
        )
        rows = cursor.fetchall()
    for subject, wrapped in rows:
        found[subject] = None if wrapped is None else unwrap(wrapped, subject)
    return found


def _key_for_writing(subject: str, using: str) -> bytes:
    keys = _keys([subject], using)
    if subject not in keys:
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (subject, wrapped, created_at, destroyed_at) "
                "VALUES (%s, %s, %s, NULL) ON CONFLICT (subject) DO NOTHING",
                [
                    subject,
                    wrap(AESGCM.generate_key(bit_length=256), subject),
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                ],
            )
        keys = _keys([subject], using)
    key = keys[subject]
    if key is None:
        raise SubjectForgotten(subject)
    return key


def destroy(subject: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Destroy ``subject``'s data key for good (in the caller's transaction)."""
    connection = connections[using]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET wrapped = NULL, destroyed_at = %s WHERE subject = %s",
            [now, subject],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                f"INSERT INTO {TABLE} (subject, wrapped, created_at, destroyed_at) "
                "VALUES (%s, NULL, %s, %s)",
                [subject, now, now],
            )


def is_destroyed(subject: str, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    keys = _keys([subject], using)
    return subject in keys and keys[subject] is None


# Values


def _encrypt(value: Any, key: bytes, subject: str) -> Any:
    if isinstance(value, str):
        nonce = os.urandom(_NONCE)
        sealed = nonce + AESGCM(key).encrypt(nonce, value.encode(), subject.encode())
        return PREFIX + base64.b64encode(sealed).decode()
    if isinstance(value, dict):
        return {k: _encrypt(v, key, subject) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encrypt(v, key, subject) for v in value]
    return value


def _decrypt(value: Any, aead: AESGCM | None, aad: bytes) -> Any:
    if isinstance(value, str):
        if not value.startswith(PREFIX):
            return value  # written before encryption
        if aead is None:
            return ERASED
        try:
            sealed = base64.b64decode(value[4:])  # len(PREFIX)
            return aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], aad).decode()
        except (InvalidTag, ValueError, binascii.Error):
            return ERASED
    if isinstance(value, dict):
        return {k: _decrypt(v, aead, aad) for k, v in value.items()}
    if isinstance(value, list):
        return [_decrypt(v, aead, aad) for v in value]
    return value


def is_encrypted(value: Any) -> bool:
    """Whether every string inside ``value`` is ciphertext (True for none)."""
    if isinstance(value, str):
        return value.startswith(PREFIX)
    if isinstance(value, dict):
        return all(is_encrypted(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(is_encrypted(v) for v in value)
    return True


def subject_of(event_type: str, data: Mapping[str, Any]) -> str | None:
    spec = personal_fields(event_type)
    if spec is None:
        return None
    value = data.get(spec[0])
    return None if value is None else str(value)


def seal(event_type: str, data: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """``data`` with its personal fields encrypted (the same dict if it has none)."""
    spec = personal_fields(event_type)
    if spec is None:
        return data
    subject_field, fields = spec
    subject = str(data[subject_field])
    key = _key_for_writing(subject, using)
    return {
        name: _encrypt(value, key, subject) if name in fields else value
        for name, value in data.items()
    }


def reveal_data(
    events: list[tuple[str, dict[str, Any]]],
    *,
    using: str = DEFAULT_DB_ALIAS,
    read: ReadKeys | None = None,
) -> list[dict[str, Any]]:
    """The ``(event_type, data)`` pairs' data with personal fields decrypted (or
    ``ERASED``); one query for the batch's keys, none when ``read`` (the keys the
    read fetched with the rows) asked for every subject. Data without personal fields
    is returned as it is."""
    subjects = {}
    for index, (event_type, data) in enumerate(events):
        subject = subject_of(event_type, data)
        if subject is not None:
            subjects[index] = subject
    if not subjects:
        return [data for _, data in events]
    wanted = set(subjects.values())
    keys: dict[str, bytes | None] = {}
    if read is not None:
        keys = {
            subject: None if wrapped is None else unwrap(wrapped, subject)
            for subject, wrapped in read.wrapped.items()
            if subject in wanted
        }
        wanted -= read.asked
    keys.update(_keys(wanted, using))  # no query when nothing is left to ask
    # One cipher per subject of the batch, its key unwrapped once.
    ciphers = {subject: None if key is None else AESGCM(key) for subject, key in keys.items()}
    result = []
    for index, (event_type, data) in enumerate(events):
        subject = subjects.get(index)
        if subject is None:
            result.append(data)
            continue
        fields = personal_fields(event_type)[1]  # type: ignore[index]
        aead, aad = ciphers.get(subject), subject.encode()
        result.append(
            {
                name: _decrypt(value, aead, aad) if name in fields else value
                for name, value in data.items()
            }
        )
    return result


def reveal(
    events: list[RecordedEvent], *, using: str = DEFAULT_DB_ALIAS, read: ReadKeys | None = None
) -> list[RecordedEvent]:
    """Decrypt the personal fields of a batch the store read, in place (their ``data``
    dicts are updated); a destroyed key reads as ``ERASED``, never raises. ``read``:
    the keys the store fetched with the batch, as for ``reveal_data``."""
    if not any(personal_fields(event_type) for event_type in {e.event_type for e in events}):
        return events  # most pages of a log: nothing personal, nothing to ask
    revealed = reveal_data([(e.event_type, e.data) for e in events], using=using, read=read)
    for recorded, data in zip(events, revealed, strict=True):
        if data is not recorded.data:
            recorded.data.clear()
            recorded.data.update(data)
    return events


def rewrap(old_kek: bytes, new_kek: bytes, *, using: str = DEFAULT_DB_ALIAS) -> tuple[int, int]:
    """Re-wrap every live data key from ``old_kek`` to ``new_kek``: (rewrapped, already).

    A key that unwraps with ``new_kek`` already counts as done, so a rotation that
    stopped halfway can be run again."""
    rewrapped = already = 0
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT subject, wrapped FROM {TABLE} WHERE wrapped IS NOT NULL")
        rows = cursor.fetchall()
    for subject, wrapped in rows:
        try:
            unwrap(wrapped, subject, new_kek)
            already += 1
            continue
        except InvalidTag:
            pass
        data_key = unwrap(wrapped, subject, old_kek)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET wrapped = %s WHERE subject = %s AND wrapped IS NOT NULL",
                [wrap(data_key, subject, new_kek), subject],
            )
        rewrapped += 1
    return rewrapped, already
