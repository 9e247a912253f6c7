"""What goes into the log and what comes out: the store's value types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import msgspec

from eventstore.serialization import random_uuid

ANY: Literal["any"] = "any"
NO_STREAM: Literal["no_stream"] = "no_stream"
ExpectedVersion = int | Literal["any", "no_stream"]


# The three event types are structs, not dataclasses: an append makes two of them per
# event and a read one, and a struct is made in C (a tenth of a frozen dataclass's cost).


class NewEvent(msgspec.Struct, frozen=True):
    event_type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    event_id: UUID = msgspec.field(default_factory=random_uuid)
    metadata: Mapping[str, Any] = msgspec.field(default_factory=dict)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None


class EncodedEvent(msgspec.Struct, frozen=True):
    """A ``NewEvent`` checked and with its JSON text, ready for a recorder."""

    new: NewEvent
    data: str
    metadata: str

    @property
    def event_id(self) -> UUID:
        return self.new.event_id


class RecordedEvent(msgspec.Struct, frozen=True):
    """An event as the log holds it."""

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
