"""What goes into the log and what comes out: the store's value types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal
from uuid import UUID

from eventstore.serialization import random_uuid

ANY: Literal["any"] = "any"
NO_STREAM: Literal["no_stream"] = "no_stream"
ExpectedVersion = int | Literal["any", "no_stream"]


@dataclass(frozen=True, slots=True)
class NewEvent:
    event_type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    event_id: UUID = field(default_factory=random_uuid)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """A ``NewEvent`` checked and with its JSON text, ready for a recorder."""

    new: NewEvent
    data: str
    metadata: str

    @property
    def event_id(self) -> UUID:
        return self.new.event_id


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    version: int
    recorded_at: dt.datetime
    correlation_id: UUID | None
    causation_id: UUID | None
    tx_id: int
    # None for an event recorded before chaining (eventstore/chain.py).
    chain_hash: str | None

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.tx_id, self.position)


def _recorded_event_maker() -> Callable[..., RecordedEvent]:
    """``RecordedEvent(...)`` without its frozen ``__init__`` (an ``object.__setattr__``
    call per field, half the cost of reading an event once its JSON is decoded): the
    instance is made by ``object.__new__`` and its slots filled by their descriptors.
    """
    new = object.__new__
    cls = RecordedEvent
    (
        s_position,
        s_event_id,
        s_stream_id,
        s_stream_type,
        s_event_type,
        s_schema_version,
        s_data,
        s_metadata,
        s_version,
        s_recorded_at,
        s_correlation_id,
        s_causation_id,
        s_tx_id,
        s_chain_hash,
    ) = (getattr(cls, name).__set__ for name in _RECORDED_FIELDS)

    def recorded_event(
        position: int,
        event_id: UUID,
        stream_id: str,
        stream_type: str,
        event_type: str,
        schema_version: int,
        data: dict[str, Any],
        metadata: dict[str, Any],
        version: int,
        recorded_at: dt.datetime,
        correlation_id: UUID | None,
        causation_id: UUID | None,
        tx_id: int,
        chain_hash: str | None,
    ) -> RecordedEvent:
        event = new(cls)
        s_position(event, position)
        s_event_id(event, event_id)
        s_stream_id(event, stream_id)
        s_stream_type(event, stream_type)
        s_event_type(event, event_type)
        s_schema_version(event, schema_version)
        s_data(event, data)
        s_metadata(event, metadata)
        s_version(event, version)
        s_recorded_at(event, recorded_at)
        s_correlation_id(event, correlation_id)
        s_causation_id(event, causation_id)
        s_tx_id(event, tx_id)
        s_chain_hash(event, chain_hash)
        return event

    return recorded_event


_RECORDED_FIELDS = (
    "position",
    "event_id",
    "stream_id",
    "stream_type",
    "event_type",
    "schema_version",
    "data",
    "metadata",
    "version",
    "recorded_at",
    "correlation_id",
    "causation_id",
    "tx_id",
    "chain_hash",
)
if tuple(f.name for f in fields(RecordedEvent)) != _RECORDED_FIELDS:
    raise AssertionError("recorded_event must fill every field of RecordedEvent, in order")
# Positional, in the fields' order: the same value as ``RecordedEvent(...)``.
recorded_event = _recorded_event_maker()


@dataclass(frozen=True, slots=True)
class StreamHead:
    """A stream's last event as an append needs it: the next event links to its
    chain hash and is never stamped earlier than it."""

    version: int
    chain_hash: str | None
    recorded_at: dt.datetime


@dataclass(frozen=True, order=True, slots=True)
class Checkpoint:
    """A place in the global read order: every event at or before it has been seen."""

    tx_id: int = 0
    position: int = 0


START = Checkpoint()


@dataclass(frozen=True, slots=True)
class AppendResult:
    stream_id: str
    version: int
    positions: tuple[int, ...]
    # The stream's new last event; None for a replay, which wrote nothing (so it is
    # not part of the result's value: a replay equals the original).
    head: StreamHead | None = field(default=None, compare=False)

    @property
    def position(self) -> int:
        return self.positions[-1]
