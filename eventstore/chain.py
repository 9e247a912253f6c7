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
    inner, outer = _pads(signing_key or key())
    mac = inner.copy()
    mac.update(bytes.fromhex(previous) if previous else GENESIS)
    # The canonical JSON of [id, stream, stream type, version, type, schema version,
    # data, metadata, instant], put together from its parts.
    mac.update(
        b"".join(
            (
                _encode(
                    [str(event_id), stream_id, stream_type, version, event_type, schema_version]
                )[:-1],
                b",",
                data,
                b",",
                metadata,
                b",",
                _encode(instant(recorded_at)),
                b"]",
            )
        )
    )
    digest = outer.copy()
    digest.update(mac.digest())
    return digest.hexdigest()


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
    if cls is str or cls is bool or value is None:
        return True
    if cls is int:
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if cls is dict:
        return all(type(k) is str and k.isascii() and _plain(v) for k, v in value.items())
    if cls is list:
        return all(_plain(v) for v in value)
    return False


def _in_domain(value: Any) -> Any:
    if type(value) is int and not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return {"$integer": str(value)}
    if isinstance(value, dict):
        return {k: _in_domain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_in_domain(v) for v in value]
    return value
