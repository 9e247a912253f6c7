"""Chain hashes: each event's keyed hash over its predecessor's and its own bytes.

An event's chain hash is HMAC-SHA256, under ``settings.INTEGRITY_KEY`` (from the
environment, never in the database), of the previous event's chain hash in the same
stream and the event's canonical bytes: its id, stream, stream type, version, type,
schema version, the RFC 8785 canonical JSON of its data (as stored, so personal
fields as ciphertext: forgetting keeps the chain valid) and metadata, and the
``recorded_at`` the application set. Nothing the database assigns (position,
transaction id) is in it, so someone with only database access can neither edit an
event nor forge one without the chain showing it (docs/architecture.md,
invariant 15). Seals (``eventstore.sealing``) pin every stream's head with the same
key, which is what shows deleted newest events and dropped streams.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

import msgspec
import rfc8785
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from eventstore.serialization import loads

# What a stream's first event links to, and what an event links to when its
# predecessor was recorded before chaining (those are pinned by the genesis seal).
GENESIS = bytes(32)
# JSON numbers an IEEE double holds exactly: RFC 8785 (section 3.2.2.3) canonicalises
# only those; larger integers are hashed as their decimal text, tagged as a number.
_SAFE_INTEGER = 2**53 - 1


def key() -> bytes:
    return _decoded_key(settings.INTEGRITY_KEY)


@cache
def _decoded_key(encoded: str) -> bytes:
    if not encoded:
        raise ImproperlyConfigured(
            "INTEGRITY_KEY is not set: set CHRONICLE_INTEGRITY_KEY (32 bytes, base64)"
        )
    return base64.b64decode(encoded)


def link(
    previous: str | None,
    *,
    event_id: UUID,
    stream_id: str,
    stream_type: str,
    version: int,
    event_type: str,
    schema_version: int,
    data: bytes,
    metadata: bytes,
    recorded_at: dt.datetime,
    signing_key: bytes | None = None,
) -> str:
    """The chain hash (hex) of one event whose predecessor's chain hash is
    ``previous`` (None for the first event of a stream, or an unchained predecessor).
    ``data`` and ``metadata`` are their canonical bytes (``canonical``), as stored."""
    (chain_hash,) = links(
        previous,
        stream_id=stream_id,
        stream_type=stream_type,
        after=version - 1,
        recorded_at=recorded_at,
        events=[(event_id, event_type, schema_version, data, metadata)],
        signing_key=signing_key,
    )
    return chain_hash


def links(
    previous: str | None,
    *,
    stream_id: str,
    stream_type: str,
    after: int,
    recorded_at: dt.datetime,
    events: Iterable[tuple[UUID, str, int, bytes, bytes]],
    signing_key: bytes | None = None,
) -> list[str]:
    """``link`` for events appended together as versions ``after + 1...`` of one stream
    at one instant, each linked to the one before: ``(event id, event type, schema
    version, canonical data, canonical metadata)`` each. What they share is put into
    bytes once (an append hashes every event it writes)."""
    inner, outer = _pads(signing_key or key())
    # The canonical JSON of [id, stream, stream type, version, type, schema version,
    # data, metadata, instant], put together from its parts: an id's text and the
    # integers need no escaping.
    stream = b"," + _encode([stream_id, stream_type])[1:-1] + b","
    stamp = b"," + _encode(instant(recorded_at)) + b"]"
    chained = bytes.fromhex(previous) if previous else GENESIS
    hashes: list[str] = []
    event_type_seen: Any = hashes  # matches no event type
    event_type_json = b""
    version = after
    for event_id, event_type, schema_version, data, metadata in events:
        version += 1
        if event_type is not event_type_seen:
            event_type_seen, event_type_json = event_type, _encode(event_type)
        mac = inner.copy()
        mac.update(chained)
        mac.update(
            b"".join(
                (
                    b'["',
                    str(event_id).encode(),
                    b'"',
                    stream,
                    str(version).encode(),
                    b",",
                    event_type_json,
                    b",",
                    str(schema_version).encode(),
                    b",",
                    data,
                    b",",
                    metadata,
                    stamp,
                )
            )
        )
        digest = outer.copy()
        digest.update(mac.digest())
        chained = digest.digest()
        hashes.append(chained.hex())
    return hashes


@cache
def _pads(signing_key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256 (RFC 2104) of the key: SHA-256 with the key's inner and outer pads
    already absorbed, copied for each hash. The same bytes as ``hmac.new``, at half the
    cost of copying one (its copy and digest are Python-level)."""
    block = hashlib.sha256().block_size
    if len(signing_key) > block:
        signing_key = hashlib.sha256(signing_key).digest()
    padded = signing_key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    return inner, outer


def sign(message: Any, *, signing_key: bytes | None = None) -> str:
    """The keyed hash (hex) of any JSON value's canonical bytes (a seal's content)."""
    return hmac.new(signing_key or key(), canonical(message), hashlib.sha256).hexdigest()


@lru_cache(maxsize=64)
def instant(at: dt.datetime) -> str:
    """One text for one instant, whatever zone it was read in (every event of an
    append shares one: cached)."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any, stored: str | bytes | None = None) -> bytes:
    """RFC 8785 canonical JSON of ``value`` (or, when ``value`` is not plain JSON and
    its ``stored`` text is given, of what that text decodes to: a Decimal or a tuple
    is hashed as it is stored).

    Most event data holds no float and only ASCII keys: for those msgspec's sorted,
    compact output is already RFC 8785 (the same escapes, keys in the same order) at
    a fiftieth of the cost; a test holds the two to the same bytes.
    """
    if _plain(value):
        return _encode(value)
    if stored is not None:
        value = loads(stored)
    return rfc8785.dumps(_in_domain(value))


_encode = msgspec.json.Encoder(order="sorted").encode


def _plain(value: Any) -> bool:
    """Whether ``value`` holds no float, no integer beyond a double's, no bool-free
    surprise and no key outside ASCII (RFC 8785 orders keys by UTF-16 code units)."""
    cls = type(value)
    if cls is dict:
        # Loops rather than all() over a generator: this runs for every event appended.
        for k, v in value.items():
            if type(k) is not str or not k.isascii():
                return False
            kind = type(v)
            if kind is str or kind is bool or v is None:
                continue
            if kind is int:
                if not -_SAFE_INTEGER <= v <= _SAFE_INTEGER:
                    return False
            elif not _plain(v):
                return False
        return True
    if cls is str or cls is bool or value is None:
        return True
    if cls is int:
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if cls is list:
        for v in value:
            if not _plain(v):
                return False
        return True
    return False


def _in_domain(value: Any) -> Any:
    if type(value) is int and not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return {"$integer": str(value)}
    if isinstance(value, dict):
        return {k: _in_domain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_in_domain(v) for v in value]
    return value
