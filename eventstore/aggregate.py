"""The aggregate base: check in command methods, change state only by applying events.

A subclass is a dataclass whose fields are its state. Command methods check the
rules and call ``self._record(event)``; state changes live in ``apply``
registrations, which only assign (no checks, no I/O, no clock), so replaying
history can never fail.
"""

from __future__ import annotations

import dataclasses
import inspect
from functools import singledispatchmethod
from typing import Any, ClassVar, Self

from eventstore.events import DomainEvent
from eventstore.serialization import from_primitive, to_primitive


@dataclasses.dataclass
class Aggregate:
    stream_type: ClassVar[str]
    # Bump when the state's shape changes: older snapshots are then replayed past.
    snapshot_schema_version: ClassVar[int] = 1

    # The singledispatch function behind the class's ``apply`` (see __init_subclass__).
    _dispatcher: ClassVar[Any] = None

    id: Any
    version: int = 0
    pending: list[DomainEvent] = dataclasses.field(default_factory=list, repr=False, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # On Python 3.11 every ``self.apply`` builds a fresh wrapper with
        # functools.update_wrapper: four fifths of the cost of replaying an event.
        apply = inspect.getattr_static(cls, "apply")
        cls._dispatcher = apply.dispatcher if isinstance(apply, singledispatchmethod) else None

    @classmethod
    def stream_id_for(cls, aggregate_id: Any) -> str:
        return f"{cls.stream_type}-{aggregate_id}"

    @property
    def stream_id(self) -> str:
        return self.stream_id_for(self.id)

    @property
    def loaded_version(self) -> int:
        """The version the aggregate had before its pending events."""
        return self.version - len(self.pending)

    @singledispatchmethod
    def apply(self, event: DomainEvent) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot apply {type(event).__name__}")

    def replay(self, event: DomainEvent) -> None:
        """Apply one stored event (used by the repository while loading)."""
        self._apply(event)
        self.version += 1

    def _record(self, event: DomainEvent) -> None:
        self._apply(event)
        self.version += 1
        self.pending.append(event)

    def _apply(self, event: DomainEvent) -> None:
        dispatcher = type(self)._dispatcher
        if dispatcher is None:
            self.apply(event)
        else:
            dispatcher.dispatch(type(event))(self, event)

    def collect_pending(self) -> list[DomainEvent]:
        events, self.pending = self.pending, []
        return events

    def snapshot_state(self) -> dict[str, Any]:
        state = to_primitive(self)
        for name in ("id", "version", "pending"):
            state.pop(name, None)
        return state  # type: ignore[no-any-return]

    @classmethod
    def from_snapshot(cls, aggregate_id: Any, version: int, state: dict[str, Any]) -> Self:
        return from_primitive(cls, {**state, "id": aggregate_id, "version": version})
