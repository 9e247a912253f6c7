"""What goes into the log and what comes out: the store's value types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID, uuid4

ANY: Literal["any"] = "any"
NO_STREAM: Literal["no_stream"] = "no_stream"
ExpectedVersion = int | Literal["any", "no_stream"]


@dataclass(frozen=True, slots=True)
class NewEvent:
    event_type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    event_id: UUID = field(default_factory=uuid4)
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

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.tx_id, self.position)


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

    @property
    def position(self) -> int:
        return self.positions[-1]
