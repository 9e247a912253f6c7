"""What a projection is: a name, its tables, and one handler per event type.

A handler is a method decorated with ``@handles(SomeEvent)``; it receives the
batch's ``Rows``, the decoded domain event and the recorded envelope (position,
version, time). Handlers must be deterministic functions of the log and safe to
run twice: a row records the version of its own stream, and an event of that
stream at or below it changes nothing (``first_sight``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from eventstore.events import DomainEvent, decode
from eventstore.store import RecordedEvent
from projections.engine.read_model import ReadModel
from projections.engine.rows import Key, Rows

Decode = Callable[[RecordedEvent], DomainEvent]


def decode_recorded(recorded: RecordedEvent) -> DomainEvent:
    """The domain event stored in ``recorded`` (already upcast by the store)."""
    return decode(recorded.event_type, recorded.data)


def handles(
    *event_classes: type[DomainEvent],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def mark(method: Callable[..., None]) -> Callable[..., None]:
        method._handles = tuple(e.event_type for e in event_classes)  # type: ignore[attr-defined]
        return method

    return mark


class Projection:
    name: ClassVar[str]
    tables: ClassVar[tuple[type[ReadModel], ...]] = ()
    handlers: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = {
            event_type: attribute
            for attribute, value in vars(cls).items()
            for event_type in getattr(value, "_handles", ())
        }
        cls.handlers = {**cls.handlers, **own}

    def __repr__(self) -> str:
        return f"<projection {self.name}>"

    def wants(self, recorded: RecordedEvent) -> bool:
        return recorded.event_type in self.handlers

    def decode(self, recorded: RecordedEvent, decode: Decode = decode_recorded) -> Any:
        """The event handed to the handler; ``decode`` turns stored data into a domain
        event (the runner passes one that decodes each event once for all projections)."""
        return decode(recorded)

    def keys(self, event: DomainEvent) -> Iterable[Key]:
        """The rows the handler of ``event`` reads or writes, loaded in bulk before the batch."""
        return ()

    def keys_after(self, event: DomainEvent, rows: Rows) -> Iterable[Key]:
        """Rows found through rows loaded by ``keys`` (e.g. an order's customer), loaded next."""
        return ()

    def apply(self, rows: Rows, event: DomainEvent, recorded: RecordedEvent) -> None:
        getattr(self, self.handlers[recorded.event_type])(rows, event, recorded)

    def apply_batch(
        self,
        generation: int,
        batch: list[RecordedEvent],
        decode: Decode = decode_recorded,
        rows: Rows | None = None,
    ) -> None:
        """Apply ``batch`` to ``generation``'s rows: all of it or, if a handler raises, none.

        ``rows`` may be the ones an earlier batch left (see ``Rows``); if this one
        fails they forget everything, since handlers may have changed them half-way.
        """
        rows = Rows(self.name, generation) if rows is None else rows
        try:
            wanted = [(r, self.decode(r, decode)) for r in batch if self.wants(r)]
            rows.prefetch(key for _, event in wanted for key in self.keys(event))
            rows.prefetch(key for _, event in wanted for key in self.keys_after(event, rows))
            for recorded, event in wanted:
                self.apply(rows, event, recorded)
            rows.flush()
        except BaseException:
            rows.forget()
            raise


def first_sight(row: ReadModel, recorded: RecordedEvent) -> bool:
    """Whether ``row`` has not yet seen this event of its own stream; if so, record it."""
    if row.version >= recorded.version:
        return False
    row.version = recorded.version
    row.position = recorded.position
    return True


class UnknownProjection(LookupError):
    pass


_registry: dict[str, Projection] = {}


def register(cls: type[Projection]) -> type[Projection]:
    _registry[cls.name] = cls()
    return cls


def unregister(name: str) -> None:
    _registry.pop(name, None)


def get(name: str) -> Projection:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownProjection(
            f"no projection named {name!r}; known: {', '.join(names())}"
        ) from None


def names() -> list[str]:
    return list(_registry)


def all_projections() -> list[Projection]:
    return list(_registry.values())
