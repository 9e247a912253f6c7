"""The store's contract where peers' recorder suites found it wanting; both backends.

Bad data is refused as what it is (never as a version conflict, never retried); one
append carries one instant; values read back exactly as written.
"""

from __future__ import annotations

import json
import math
import sys
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from eventstore import store
from eventstore.errors import ConcurrencyError, DuplicateEventError, InvalidEvent
from eventstore.models import Event
from eventstore.repository import Repository
from eventstore.serialization import dumps
from tests.eventstore.test_repository import Counter

pytestmark = pytest.mark.django_db


def new(event_type: str = "Noted", **data) -> store.NewEvent:
    return store.NewEvent(event_type, data)


def inserts(queries: CaptureQueriesContext) -> int:
    return sum(q["sql"].lstrip().upper().startswith(("INSERT", "WITH")) for q in queries)


# Bad data is not a conflict


@pytest.mark.parametrize("expected", [store.NO_STREAM, store.ANY])
def test_the_same_event_id_twice_in_one_append_is_refused_as_a_duplicate(expected):
    first = new()
    twin = store.NewEvent("Noted", {}, event_id=first.event_id)
    with pytest.raises(DuplicateEventError) as caught:
        store.append("s-1", "s", [first, twin], expected)
    assert not isinstance(caught.value, ConcurrencyError)
    assert store.stream_version("s-1") == 0


@pytest.mark.parametrize("schema_version", [0, -1])
def test_a_schema_version_below_one_is_refused_before_the_insert(schema_version):
    bad = store.NewEvent("Noted", {}, schema_version=schema_version)
    with CaptureQueriesContext(connection) as queries, pytest.raises(InvalidEvent):
        store.append("s-1", "s", [bad], store.ANY)
    assert inserts(queries) == 0
    assert store.stream_version("s-1") == 0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where", ["data", "metadata"])
def test_non_finite_floats_are_refused_before_the_insert(value, where):
    bad = (
        store.NewEvent("Noted", {"x": [value]})
        if where == "data"
        else store.NewEvent("Noted", {}, metadata={"x": value})
    )
    with CaptureQueriesContext(connection) as queries, pytest.raises(InvalidEvent):
        store.append("s-1", "s", [bad], store.NO_STREAM)
    assert inserts(queries) == 0
    assert store.stream_version("s-1") == 0


def test_what_the_database_refuses_is_raised_as_it_is_at_once_without_retries():
    refused = store.NewEvent(None, {})  # type: ignore[arg-type]  # NOT NULL column
    with CaptureQueriesContext(connection) as queries, pytest.raises(IntegrityError):
        # The append takes no savepoint of its own inside a caller's transaction (the
        # test's): a caller that goes on after such an error keeps one.
        with transaction.atomic():
            store.append("s-1", "s", [refused], store.ANY)
    assert inserts(queries) == 1
    assert store.stream_version("s-1") == 0


def test_a_real_version_clash_is_still_a_concurrency_error():
    store.append("s-1", "s", [new()], store.NO_STREAM)
    with pytest.raises(ConcurrencyError) as caught:
        store.append("s-1", "s", [new()], store.NO_STREAM)
    assert caught.value.actual == 1


# One append, one instant


@pytest.mark.parametrize("size", [3, 1200])
def test_every_event_of_one_append_carries_the_same_instant(size):
    store.append("s-1", "s", [new(i=i) for i in range(size)], store.NO_STREAM)
    recorded = store.read_stream("s-1")
    assert len({e.recorded_at for e in recorded}) == 1
    as_of_first = store.read_stream("s-1", as_of=recorded[0].recorded_at)
    assert len(as_of_first) == size


def test_an_aggregate_as_of_an_instant_has_all_of_an_atomic_append_or_none():
    repo = Repository(Counter, snapshot_every=0)
    deposits = Counter(id=uuid4())
    for amount in (10, 100, 1000):
        deposits.count(amount)
    repo.save(deposits)
    first = store.read_stream(deposits.stream_id)[0].recorded_at
    assert repo.load(deposits.id, as_of=first).total == 1110


def test_an_append_is_never_stamped_earlier_than_the_streams_previous_event(monkeypatch):
    store.append("s-1", "s", [new()], store.NO_STREAM)
    (previous,) = store.read_stream("s-1")
    slow_clock = previous.recorded_at.replace(year=previous.recorded_at.year - 1)
    monkeypatch.setattr(store.timezone, "now", lambda: slow_clock)
    store.append("s-1", "s", [new(), new()], 1)
    later = store.read_stream("s-1")[1:]
    assert {e.recorded_at for e in later} == {previous.recorded_at}


# Values read back as written

EXTREMES = {
    "zeta": 1e300,
    "alpha": sys.float_info.max,
    "tiny": 5e-324,
    "negative": -1.5e-300,
    "whole float": 3.0,
    "int": 2**63 + 1,
    "huge int": 10**40,
    "decimal": Decimal("12.50"),
    "nested": {"ключ": ["日本語", {"emoji": "🧾", "b": 1, "a": 2}], "": None},
    "escapes": 'quote " backslash \\ newline \n nul-free',
}


def test_values_read_back_as_written_with_their_types_and_key_order():
    store.append(
        "s-1", "s", [store.NewEvent("Noted", EXTREMES, metadata=EXTREMES)], store.NO_STREAM
    )
    (recorded,) = store.read_stream("s-1")
    expected = json.loads(dumps(EXTREMES))
    for got in (recorded.data, recorded.metadata, Event.objects.get().data):
        assert dumps(got) == dumps(expected)
        assert list(got) == list(expected)
    assert isinstance(recorded.data["zeta"], float) and isinstance(recorded.data["int"], int)


def test_the_stored_bytes_are_the_bytes_written():
    store.append("s-1", "s", [store.NewEvent("Noted", EXTREMES)], store.NO_STREAM)
    cast = "::text" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data{cast} FROM eventstore_event")
        (stored,) = cursor.fetchone()
    assert stored == dumps(EXTREMES)
