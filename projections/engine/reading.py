"""The global log as one round of runners reads it: each page read and decoded once.

``runner.advance`` hands every projection of a round the same ``Log``. Projections
at the same checkpoint (usually all of them, and every projection of a rebuild)
then share one ``read_all`` and one decoding of each event instead of one each.

A page read in one projection's transaction may serve another's later in the
round: it is still a prefix of what that transaction would read, because
``read_all`` returns only events of transactions older than every running one,
so an event that commits later sorts after all of them (docs/architecture.md, invariant 5).
Empty pages are not kept: a later reader may find new events there.
"""

from __future__ import annotations

from uuid import UUID

from eventstore import store
from eventstore.events import DomainEvent
from eventstore.subscriptions import skips
from projections.engine.projection import decode_recorded


class Log:
    def __init__(self) -> None:
        self._pages: dict[tuple[store.Checkpoint, int], list[store.RecordedEvent]] = {}
        self._decoded: dict[int, DomainEvent] = {}
        self._head: store.Checkpoint | None = None
        self._skipped: dict[str, frozenset[UUID]] | None = None

    def head(self) -> store.Checkpoint:
        """``store.head()`` as the round began (asked once per round): where projections
        glance to see whether they are caught up, and how far behind they are."""
        if self._head is None:
            self._head = store.head()
        return self._head

    def skipped(self, reader: str) -> frozenset[UUID]:
        """The events staff told ``reader`` to pass over (the dead-letter desk), asked
        once per round for every projection."""
        if self._skipped is None:
            self._skipped = skips.skipped()
        return self._skipped.get(reader, frozenset())

    def read(self, after: store.Checkpoint, limit: int) -> list[store.RecordedEvent]:
        """The next ``limit`` events after ``after``, as ``store.read_all`` returns them."""
        page = self._pages.get((after, limit))
        if page is None:
            page = store.read_all(after=after, limit=limit)
            if page:
                self._pages[after, limit] = page
        return page

    def decode(self, recorded: store.RecordedEvent) -> DomainEvent:
        """The domain event of ``recorded``, decoded at its first use in the round."""
        event = self._decoded.get(recorded.position)
        if event is None:
            event = self._decoded[recorded.position] = decode_recorded(recorded)
        return event
