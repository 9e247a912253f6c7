"""JSON that round-trips Chronicle's value types exactly.

Stored event data is plain JSON that any consumer can read: Decimal travels as a
string (``"12.50"`` keeps its two places), UUID as its canonical string, aware
datetimes and dates as ISO 8601. The way back is driven by the type hints of the
target dataclass, so nothing in the stored document is tagged with Python types.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar
from uuid import UUID, SafeUUID

import msgspec

T = TypeVar("T")


# Floats are not among them: each is checked to be finite (``_other_to_primitive``).
_AS_IS = frozenset({str, int, bool, type(None)})


# The field names of each dataclass met so far (``dataclasses.fields`` costs more than
# reading the fields).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_primitive(value: Any) -> Any:
    """Turn a value (dataclasses, tuples, Decimal, UUID, dates...) into JSON-ready data."""
    cls = type(value)
    # The common shapes first, by exact type: an append encodes every event's data and
    # metadata, mostly dicts and lists of strings and numbers, and events are dataclasses.
    if cls in _AS_IS:
        return value
    if cls is dict:
        return {
            k if type(k) is str else str(k): v if type(v) in _AS_IS else to_primitive(v)
            for k, v in value.items()
        }
    if cls is list or cls is tuple:
        return [v if type(v) in _AS_IS else to_primitive(v) for v in value]
    if cls is Decimal or cls is UUID:  # exactly: a subclass may render differently
        return str(value)
    names = _FIELD_NAMES.get(cls)
    if names is not None:
        result = {}
        for name in names:
            field_value = getattr(value, name)
            result[name] = field_value if type(field_value) in _AS_IS else to_primitive(field_value)
        return result
    return _other_to_primitive(value)


def _other_to_primitive(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON form")
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; use an aware one")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_primitive(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
        return to_primitive(value)
    if isinstance(value, dict):
        return {str(k): to_primitive(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_primitive(v) for v in value]
    raise TypeError(f"cannot serialize {type(value).__name__}")


_encode = msgspec.json.Encoder().encode


def dumps(value: Any) -> str:
    """Compact JSON text, keys in their order, non-ASCII as UTF-8; NaN and infinities
    raise ``ValueError`` (JSON has none), as does a lone surrogate (UTF-8 has none).

    msgspec writes what ``json.dumps(separators=(",", ":"), ensure_ascii=False)``
    writes, at a ninth of its cost (2 µs an event's data), but for a float's exponent
    (``1e300``, not ``1e+300``: the same number) and NaN, which it would write as
    null: ``to_primitive`` refuses that first.
    """
    return _encode(to_primitive(value)).decode()


_decode = msgspec.json.Decoder().decode
_DecodeError = msgspec.DecodeError
# For loops that decode many documents: ``decode_json`` is ``loads`` but for what it
# refuses with ``JSONDecodeError``, which ``loads`` then reads the standard way.
decode_json, JSONDecodeError = _decode, _DecodeError


def loads(text: str | bytes) -> Any:
    """The value of JSON ``text``, exactly as ``json.loads`` gives it.

    msgspec's decoder does it several times faster, keeping what the log needs:
    integers of any size stay integers, floats round as ``json.loads`` rounds them,
    keys keep their order (the last of a repeated key wins). What it refuses and the
    standard library accepts (a lone surrogate escape such as ``"\\ud800"``) takes
    the standard library's way.
    """
    try:
        return _decode(text)
    except _DecodeError:
        return json.loads(text)


def from_primitive(cls: type[T], data: Any) -> T:
    """Rebuild an instance of ``cls`` (usually a dataclass) from ``to_primitive`` output."""
    return _converter(cls)(data)  # type: ignore[no-any-return,arg-type]


def _identity(value: Any) -> Any:
    return value


def _parse_datetime(value: Any) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"datetime {value!r} has no offset")
    return parsed


_new_uuid = UUID.__new__
_set_uuid_int = vars(UUID)["int"].__set__
_set_uuid_is_safe = vars(UUID)["is_safe"].__set__
_UNKNOWN = SafeUUID.unknown


def uuid_of(number: int) -> UUID:
    """``UUID(int=number)`` without its checks, for a number known to be a UUID's."""
    uuid = _new_uuid(UUID)
    _set_uuid_int(uuid, number)
    _set_uuid_is_safe(uuid, _UNKNOWN)
    return uuid


# uuid4's bits: version 4 in the version field, RFC 4122 in the variant field.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (4 << 76) | (0x8000 << 48)


def random_uuid() -> UUID:
    """What ``uuid.uuid4()`` gives, at a third of its cost (an append makes one per event)."""
    return uuid_of(int.from_bytes(os.urandom(16)) & _V4_CLEAR | _V4_SET)


def _parse_uuid(value: Any) -> UUID:
    """``UUID(value)`` for the canonical text, at a third of its cost (half the time of
    decoding an event's data went to ``UUID.__init__``); anything else goes to it."""
    if value.__class__ is str:
        digits = value.replace("-", "")
        if len(digits) == 32:
            try:
                number = int(digits, 16)
            except ValueError:
                pass
            else:
                # As UUID(hex=...) checks, int() accepts what its own parsing does.
                return uuid_of(number)
    return value if isinstance(value, UUID) else UUID(value)


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    Decimal: lambda v: Decimal(v) if isinstance(v, str) else Decimal(str(v)),
    UUID: _parse_uuid,
    dt.datetime: lambda v: v if isinstance(v, dt.datetime) else _parse_datetime(v),
    dt.date: lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(v),
    str: _identity,
    int: _identity,
    float: _identity,
    bool: _identity,
    Any: _identity,
    object: _identity,
}


@cache
def _converter(tp: Any) -> Callable[[Any], Any]:
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        convert = _converter(inner[0]) if len(inner) == 1 else _identity
        return lambda v: None if v is None else convert(v)
    if origin is tuple:
        item = _converter(args[0]) if args else _identity
        return lambda v: tuple(item(x) for x in v)
    if origin in (list, set, frozenset):
        item = _converter(args[0]) if args else _identity
        return lambda v: origin(item(x) for x in v)
    if origin is dict:
        key_conv = _converter(args[0]) if args else _identity
        value_conv = _converter(args[1]) if args else _identity
        return lambda v: {key_conv(k): value_conv(x) for k, x in v.items()}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp
    if dataclasses.is_dataclass(tp):
        return _dataclass_converter(tp)
    return _identity


def _dataclass_converter(cls: Any) -> Callable[[Any], Any]:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls) if f.init]

    def convert(data: Any) -> Any:
        if isinstance(data, cls):
            return data
        return cls(**{name: conv(data[name]) for name, conv in fields if name in data})

    return convert
