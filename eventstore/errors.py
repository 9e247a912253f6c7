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


class InvalidEvent(EventStoreError, ValueError):
    """An event the store can never take as it is (bad schema version, non-finite float)."""


class OrderingConflict(EventStoreError):
    """The stream's last event was written by a transaction newer than the writer's.

    Appending now would put this event before that one in the global read order,
    so nothing was written. Retry the whole command in a fresh transaction.
    """

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        super().__init__(
            f"stream {stream_id!r} was appended to by a newer transaction; "
            "retry in a fresh transaction"
        )


class StreamArchived(EventStoreError):
    """The stream's events were archived (eventstore/archive.py): it is closed for good,
    and nothing more can be appended to it."""

    def __init__(self, stream_id: str) -> None:
        super().__init__(f"stream {stream_id} is archived; it takes no more events")
        self.stream_id = stream_id
