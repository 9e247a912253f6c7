"""Aggregates through the repository: save/load, snapshots, temporal loads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import singledispatchmethod
from typing import ClassVar
from uuid import uuid4

import pytest

from eventstore import store
from eventstore.aggregate import Aggregate
from eventstore.errors import ConcurrencyError, StreamNotFound
from eventstore.events import DomainEvent, event
from eventstore.models import Event, Snapshot
from eventstore.repository import Repository

pytestmark = pytest.mark.django_db


@event("TestCounted")
@dataclass(frozen=True)
class Counted(DomainEvent):
    by: int


@dataclass
class Counter(Aggregate):
    stream_type: ClassVar[str] = "counter"
    total: int = 0

    def count(self, by: int = 1) -> None:
        self._record(Counted(by))

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError

    @apply.register
    def _counted(self, event: Counted) -> None:
        self.total += event.by


def counted(repo: Repository[Counter], counter_id, times: int) -> None:
    for _ in range(times):
        try:
            counter = repo.load(counter_id)
        except StreamNotFound:
            counter = Counter(id=counter_id)
        counter.count()
        repo.save(counter)


def test_a_saved_aggregate_loads_back_with_its_state_and_version():
    repo = Repository(Counter, snapshot_every=0)
    counter = Counter(id=uuid4())
    counter.count(2)
    counter.count(3)
    result = repo.save(counter)
    loaded = repo.load(counter.id)
    assert (loaded.total, loaded.version, result.version) == (5, 2, 2)


def test_loading_an_unknown_aggregate_raises_stream_not_found():
    with pytest.raises(StreamNotFound):
        Repository(Counter).load(uuid4())


def test_save_expects_the_version_it_loaded():
    repo = Repository(Counter, snapshot_every=0)
    counter_id = uuid4()
    counted(repo, counter_id, 1)
    first, second = repo.load(counter_id), repo.load(counter_id)
    first.count()
    repo.save(first)
    second.count()
    with pytest.raises(ConcurrencyError):
        repo.save(second)


def test_saving_the_same_command_twice_appends_once():
    repo = Repository(Counter, snapshot_every=0)
    command_id, counter_id = uuid4(), uuid4()
    attempts = []
    for _ in range(2):
        counter = Counter(id=counter_id)
        counter.count()
        attempts.append(repo.save(counter, command_id=command_id))
    assert attempts[0] == attempts[1]
    assert Event.objects.filter(stream_id=f"counter-{counter_id}").count() == 1


def test_snapshots_are_taken_every_n_events_and_used_on_load():
    repo = Repository(Counter, snapshot_every=10)
    counter_id = uuid4()
    counted(repo, counter_id, 25)
    assert list(Snapshot.objects.values_list("version", flat=True).order_by("version")) == [10, 20]
    # The snapshot, not the events before it, now decides the state: prove it by
    # doctoring the cache (snapshots may change; events may not).
    Snapshot.objects.filter(version=20).update(state={"total": 1000})
    assert repo.load(counter_id).total == 1005


def test_a_snapshot_of_an_older_schema_is_replayed_past():
    repo = Repository(Counter, snapshot_every=10)
    counter_id = uuid4()
    counted(repo, counter_id, 12)
    Snapshot.objects.update(schema_version=0, state={"total": 1000})
    loaded = repo.load(counter_id)
    assert (loaded.total, loaded.version) == (12, 12)


def test_loading_at_a_version_ignores_later_events_and_later_snapshots():
    repo = Repository(Counter, snapshot_every=5)
    counter_id = uuid4()
    counted(repo, counter_id, 12)
    at_three = repo.load(counter_id, at_version=3)
    assert (at_three.total, at_three.version) == (3, 3)
    assert repo.load(counter_id, at_version=7).total == 7


def test_loading_as_of_an_instant_sees_the_events_recorded_by_then():
    repo = Repository(Counter, snapshot_every=0)
    counter_id = uuid4()
    counted(repo, counter_id, 3)
    instant = store.read_stream(f"counter-{counter_id}")[-1].recorded_at
    counted(repo, counter_id, 2)
    assert repo.load(counter_id, as_of=instant).total == 3
    with pytest.raises(StreamNotFound):
        repo.load(counter_id, as_of=instant - dt.timedelta(days=1))


def test_events_carry_command_metadata_correlation_and_causation():
    repo = Repository(Counter, snapshot_every=0)
    counter = Counter(id=uuid4())
    counter.count()
    command_id, correlation = uuid4(), uuid4()
    repo.save(
        counter,
        command_id=command_id,
        metadata={"user_id": 3},
        correlation_id=correlation,
        causation_id=command_id,
    )
    (recorded,) = store.read_stream(counter.stream_id)
    assert recorded.metadata == {"user_id": 3, "command_id": str(command_id)}
    assert (recorded.correlation_id, recorded.causation_id) == (correlation, command_id)


def test_several_streams_read_together_in_one_query_as_each_alone():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from eventstore.repository import read_together

    repo = Repository(Counter, snapshot_every=10)
    snapped, plain, missing = uuid4(), uuid4(), uuid4()
    counted(repo, snapped, 13)
    counted(repo, plain, 3)
    with CaptureQueriesContext(connection) as queries:
        read_together([(repo, snapped), (repo, plain)])
    assert len(queries) == 1
    wanted = [(repo, snapped), (repo, missing), (repo, plain), (repo, snapped)]
    with CaptureQueriesContext(connection) as queries:
        reads = read_together(wanted)
    assert len(queries) == 2  # a stream with no hot rows is looked up among archived ones
    assert reads == [
        store.read_from_snapshot(f"counter-{i}", Counter.snapshot_schema_version) for _, i in wanted
    ]
    assert reads[0][0] is not None and [e.version for e in reads[0][1]] == [11, 12, 13]
    assert reads[1] == (None, [])
    assert repo.build(snapped, *reads[0]) == repo.load(snapped)
    assert repo.build(plain, *reads[2]).total == 3
    with pytest.raises(StreamNotFound):
        repo.build(missing, *reads[1])


def test_a_load_is_one_query_for_the_snapshot_and_the_events_after_it():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    repo = Repository(Counter, snapshot_every=10)
    counter_id = uuid4()
    counted(repo, counter_id, 13)
    Snapshot.objects.filter(version=10).update(state={"total": 100})
    with CaptureQueriesContext(connection) as queries:
        loaded = repo.load(counter_id)
    assert (loaded.total, loaded.version) == (103, 13)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert repo.load(counter_id, at_version=12).total == 102
    assert len(queries) == 1
