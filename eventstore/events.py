"""Domain events as the store sees them: named, versioned data.

A domain module declares its events as frozen dataclasses decorated with
``@event("V1.OrderPaid", schema_version=2)``. The stored type name is that string,
never a module path, so code can move without breaking history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from eventstore.serialization import from_primitive, to_primitive

E = TypeVar("E", bound="DomainEvent")


class DomainEvent:
    """Base of all domain events; subclasses are frozen dataclasses."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def to_data(self) -> dict[str, Any]:
        return to_primitive(self)  # type: ignore[no-any-return]


class UnknownEventType(LookupError):
    pass


_registry: dict[str, type[DomainEvent]] = {}
# event type -> (subject field, personal fields): see eventstore/shredding.py
_personal: dict[str, tuple[str, frozenset[str]]] = {}


def event(
    event_type: str,
    schema_version: int = 1,
    *,
    personal: tuple[str, ...] = (),
    subject: str = "",
) -> Callable[[type[E]], type[E]]:
    """Register a domain event class under a stable type name.

    ``personal`` lists the fields holding personal data, stored encrypted under the
    data key of the one whose id is in the ``subject`` field (eventstore/shredding.py).
    """
    if personal and not subject:
        raise ValueError(f"event type {event_type!r} lists personal fields but no subject")

    def register(cls: type[E]) -> type[E]:
        existing = _registry.get(event_type)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise ValueError(f"event type {event_type!r} is already taken by {existing!r}")
        cls.event_type = event_type
        cls.schema_version = schema_version
        _registry[event_type] = cls
        if personal:
            _personal[event_type] = (subject, frozenset(personal))
        return cls

    return register


def event_class(event_type: str) -> type[DomainEvent]:
    try:
        return _registry[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def decode(event_type: str, data: dict[str, Any]) -> DomainEvent:
    """Turn stored (already upcast) data into its domain event."""
    return from_primitive(event_class(event_type), data)


def event_types() -> list[str]:
    """Every registered event type, in registration order."""
    return list(_registry)


def personal_fields(event_type: str) -> tuple[str, frozenset[str]] | None:
    """(subject field, personal fields) of ``event_type``; None when it has none."""
    return _personal.get(event_type)


def personal_event_types() -> dict[str, list[str]]:
    """The event types with personal fields by the field naming their subject."""
    by_subject: dict[str, list[str]] = {}
    for event_type, (subject, _) in _personal.items():
        by_subject.setdefault(subject, []).append(event_type)
    return by_subject
