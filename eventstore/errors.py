"""What the event store can refuse."""

from __future__ import annotations


class EventStoreError(Exception):
    """Base of the store's errors."""


class ConcurrencyError(EventStoreError):
    """The stream is not at the version the writer expected."""

    def __init__(self, stream_id: str, expected: int | str, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, but version {expected} was expected"
        )


class DuplicateEventError(EventStoreError):
    """Some, not all, of the appended event ids are stored already (or elsewhere)."""


class StreamNotFound(EventStoreError):
    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        super().__init__(f"stream {stream_id!r} has no events")
