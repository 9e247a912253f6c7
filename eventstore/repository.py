"""Load aggregates from their streams and save what they recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4, uuid5

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction

from eventstore import shredding, store
from eventstore.aggregate import Aggregate
from eventstore.errors import StreamNotFound
from eventstore.events import decode
from eventstore.models import Snapshot

A = TypeVar("A", bound=Aggregate)

# Where a loaded aggregate keeps its last stored event, for its next save to chain to
# without asking the database (eventstore/chain.py): an attribute outside the
# dataclass's fields, so neither its state nor its snapshots hold it.
_HEAD = "_stored_head"


class Repository(Generic[A]):
    """Event-sourced persistence for one aggregate class.

    ``load`` starts from the newest usable snapshot (one whose schema matches the
    class) and replays later events. ``save`` appends the pending events with the
    expected version taken from the load and decides when to snapshot.
    """

    def __init__(
        self,
        aggregate_class: type[A],
        *,
        snapshot_every: int | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        self.aggregate_class = aggregate_class
        self.snapshot_every = (
            settings.EVENTSTORE_SNAPSHOT_EVERY if snapshot_every is None else snapshot_every
        )
        self.using = using

    def load(
        self, aggregate_id: Any, *, at_version: int | None = None, as_of: dt.datetime | None = None
    ) -> A:
        stream_id = self.aggregate_class.stream_id_for(aggregate_id)
        if as_of is not None:
            events = store.read_stream(
                stream_id, as_of=as_of, to_version=at_version, using=self.using
            )
            if not events:
                raise StreamNotFound(stream_id)
            at_version = events[-1].version
        # One query: the newest usable snapshot and the events after it.
        snapshot, events = store.read_from_snapshot(
            stream_id,
            self.aggregate_class.snapshot_schema_version,
            to_version=at_version,
            using=self.using,
        )
        return self.build(aggregate_id, snapshot, events)

    def build(
        self, aggregate_id: Any, snapshot: store.Snapshot | None, events: list[store.RecordedEvent]
    ) -> A:
        """The aggregate from a read of its stream (``read_together``'s, or ``load``'s):
        ``StreamNotFound`` when the stream has no history."""
        stream_id = self.aggregate_class.stream_id_for(aggregate_id)
        head = None
        if snapshot is None:
            aggregate = self.aggregate_class(id=aggregate_id)
        else:
            aggregate = self.aggregate_class.from_snapshot(
                aggregate_id, snapshot.version, snapshot.state
            )
            head = snapshot.head
        for recorded in events:
            aggregate.replay(decode(recorded.event_type, recorded.data))
        if aggregate.version == 0:
            raise StreamNotFound(stream_id)
        if events:
            last = events[-1]
            head = store.StreamHead(last.version, last.chain_hash, last.recorded_at)
        setattr(aggregate, _HEAD, head)
        return aggregate

    def stream_read(self, aggregate_id: Any) -> tuple[str, int]:
        """What ``read_together`` reads for the aggregate: its stream and snapshot schema."""
        return (
            self.aggregate_class.stream_id_for(aggregate_id),
            self.aggregate_class.snapshot_schema_version,
        )

    def exists(self, aggregate_id: Any) -> bool:
        stream_id = self.aggregate_class.stream_id_for(aggregate_id)
        return store.stream_version(stream_id, using=self.using) > 0

    def save(
        self,
        aggregate: A,
        *,
        command_id: UUID | None = None,
        metadata: Mapping[str, Any] | None = None,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
    ) -> store.AppendResult | None:
        """Append what the aggregate recorded; None when it recorded nothing.

        With a ``command_id`` the event ids derive from it, so the same command
        saved twice appends once and returns the first result.
        """
        expected = aggregate.loaded_version or store.NO_STREAM
        snapshot_due = self._snapshot_due(aggregate.loaded_version, aggregate.version)
        events = aggregate.collect_pending()
        if not events:
            return None
        meta = dict(metadata or {})
        if command_id is not None:
            meta["command_id"] = str(command_id)
        new_events = [
            store.NewEvent(
                event_type=event.event_type,
                schema_version=event.schema_version,
                data=shredding.seal(event.event_type, event.to_data(), using=self.using),
                event_id=uuid5(command_id, f"{aggregate.stream_id}:{index}")
                if command_id
                else uuid4(),
                metadata=meta,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            for index, event in enumerate(events)
        ]
        head = getattr(aggregate, _HEAD, None)
        # The append is atomic on its own; an atomic block around it only when the
        # snapshot must commit with it (elsewhere it would add a savepoint, two round
        # trips, inside every handler's transaction).
        with transaction.atomic(using=self.using) if snapshot_due else nullcontext():
            result = store.append(
                aggregate.stream_id,
                aggregate.stream_type,
                new_events,
                expected,
                head=head,
                using=self.using,
            )
            if snapshot_due:
                self._write_snapshot(aggregate, result.head)
        setattr(aggregate, _HEAD, result.head)
        return result

    def _snapshot_due(self, before: int, after: int) -> bool:
        every = self.snapshot_every
        return every > 0 and after // every > before // every

    def _write_snapshot(self, aggregate: A, head: store.StreamHead | None) -> None:
        try:
            with transaction.atomic(using=self.using):
                Snapshot.objects.using(self.using).create(
                    stream_id=aggregate.stream_id,
                    version=aggregate.version,
                    aggregate_type=aggregate.stream_type,
                    schema_version=aggregate.snapshot_schema_version,
                    state=aggregate.snapshot_state(),
                    head_recorded_at=head.recorded_at if head else None,
                    head_chain_hash=head.chain_hash if head else None,
                )
        except IntegrityError:
            pass  # a snapshot of this version exists already: it is the same state


def read_together(
    wanted: Sequence[tuple[Repository[Any], Any]], *, using: str = DEFAULT_DB_ALIAS
) -> list[tuple[store.Snapshot | None, list[store.RecordedEvent]]]:
    """What ``load`` reads for each ``(repository, aggregate id)``, in order, all in one
    query: give each to its repository's ``build``."""
    return store.read_from_snapshots(
        [repository.stream_read(aggregate_id) for repository, aggregate_id in wanted], using=using
    )
