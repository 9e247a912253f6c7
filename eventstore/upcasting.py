"""Upcasters turn old stored event shapes into the current one on read.

Stored events are never rewritten. An upcaster is registered for one
``(event_type, schema_version)`` and returns the data of ``schema_version + 1``;
reads chain them until no upcaster is left.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]

_upcasters: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    def register(fn: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        if key in _upcasters and _upcasters[key] is not fn:
            raise ValueError(f"an upcaster for {event_type} v{from_version} exists already")
        _upcasters[key] = fn
        return fn

    return register


def unregister(event_type: str, from_version: int) -> None:
    _upcasters.pop((event_type, from_version), None)


def registered(event_type: str) -> list[tuple[int, Upcaster]]:
    """The upcasters of ``event_type`` as ``(from version, upcaster)``, oldest first."""
    return sorted((v, fn) for (t, v), fn in _upcasters.items() if t == event_type)


def upcast(event_type: str, schema_version: int, data: Data) -> tuple[int, Data]:
    """Return ``(current schema version, data in that version)``."""
    if not _upcasters:
        return schema_version, data
    step = _upcasters.get((event_type, schema_version))
    while step is not None:
        data = step(data)
        schema_version += 1
        step = _upcasters.get((event_type, schema_version))
    return schema_version, data
