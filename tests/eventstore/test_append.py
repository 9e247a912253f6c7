"""The append contract; the suite runs once per backend (SQLite and PostgreSQL)."""

import datetime as dt
import uuid

import pytest

from eventstore import store
from eventstore.errors import ConcurrencyError, DuplicateEventError
from eventstore.models import Event

pytestmark = pytest.mark.django_db


def events(*types: str) -> list[store.NewEvent]:
    return [store.NewEvent(t, {"type": t}) for t in types]


def test_appending_to_a_new_stream_returns_its_version_and_positions():
    result = store.append("cart-1", "cart", events("Opened", "Filled"), store.NO_STREAM)
    assert result.version == 2
    assert len(result.positions) == 2 and result.positions[0] < result.positions[1]
    assert result.position == result.positions[-1]
    assert [e.version for e in store.read_stream("cart-1")] == [1, 2]


def test_appending_with_the_current_version_continues_the_stream():
    store.append("cart-1", "cart", events("Opened"), store.NO_STREAM)
    result = store.append("cart-1", "cart", events("Filled", "Closed"), 1)
    assert result.version == 3
    assert [e.event_type for e in store.read_stream("cart-1")] == ["Opened", "Filled", "Closed"]


def test_a_stale_expected_version_raises_and_appends_nothing():
    store.append("cart-1", "cart", events("Opened", "Filled"), store.NO_STREAM)
    with pytest.raises(ConcurrencyError) as caught:
        store.append("cart-1", "cart", events("Closed"), 1)
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == ("cart-1", 1, 2)
    assert "cart-1" in str(caught.value)
    assert store.stream_version("cart-1") == 2


def test_an_expected_version_ahead_of_the_stream_cannot_leave_a_hole():
    store.append("cart-1", "cart", events("Opened"), store.NO_STREAM)
    with pytest.raises(ConcurrencyError):
        store.append("cart-1", "cart", events("Closed"), 5)
    assert [e.version for e in store.read_stream("cart-1")] == [1]


def test_no_stream_is_refused_when_the_stream_exists():
    store.append("cart-1", "cart", events("Opened"), store.NO_STREAM)
    with pytest.raises(ConcurrencyError):
        store.append("cart-1", "cart", events("Opened"), store.NO_STREAM)


def test_any_appends_whatever_the_version():
    store.append("cart-1", "cart", events("Opened"), store.NO_STREAM)
    assert store.append("cart-1", "cart", events("Poked"), store.ANY).version == 2
    assert store.append("cart-2", "cart", events("Poked"), store.ANY).version == 1


def test_a_failing_append_writes_none_of_its_events():
    store.append("cart-1", "cart", events("Opened"), store.NO_STREAM)
    taken = store.read_stream("cart-1")[0].event_id
    batch = [store.NewEvent("Filled", {}), store.NewEvent("Dup", {}, event_id=taken)]
    with pytest.raises((DuplicateEventError, ConcurrencyError)):
        store.append("cart-9", "cart", batch, store.NO_STREAM)
    assert store.stream_version("cart-9") == 0
    assert Event.objects.count() == 1


def test_a_retried_append_returns_the_original_result_and_writes_nothing():
    batch = events("Opened", "Filled")
    first = store.append("cart-1", "cart", batch, store.NO_STREAM)
    again = store.append("cart-1", "cart", batch, store.NO_STREAM)
    assert again == first
    assert Event.objects.count() == 2


def test_a_retry_after_the_stream_moved_on_still_returns_the_original_result():
    batch = events("Opened")
    first = store.append("cart-1", "cart", batch, store.NO_STREAM)
    store.append("cart-1", "cart", events("Filled"), 1)
    assert store.append("cart-1", "cart", batch, store.NO_STREAM) == first
    assert store.stream_version("cart-1") == 2


def test_a_partially_overlapping_retry_is_an_error():
    batch = events("Opened", "Filled")
    store.append("cart-1", "cart", batch, store.NO_STREAM)
    with pytest.raises(DuplicateEventError):
        store.append("cart-1", "cart", [batch[1], store.NewEvent("Closed", {})], 2)
    assert store.stream_version("cart-1") == 2


def test_a_large_batch_is_appended_in_one_piece():
    result = store.append(
        "big-1", "big", [store.NewEvent("Tick", {"i": i}) for i in range(1203)], store.NO_STREAM
    )
    assert result.version == 1203 and len(result.positions) == 1203
    stream = store.read_stream("big-1")
    assert [e.data["i"] for e in stream] == list(range(1203))


def test_a_large_batch_takes_positions_in_version_order():
    store.append("big-0", "big", [store.NewEvent("Tick", {})], store.NO_STREAM)
    result = store.append("big-1", "big", [store.NewEvent("Tick", {}) for _ in range(1203)], 0)
    store.append("big-0", "big", [store.NewEvent("Tick", {})], 1)
    assert list(result.positions) == sorted(result.positions)
    stream = store.read_stream("big-1")
    assert [e.position for e in stream] == list(result.positions)
    log = store.read_all(limit=2000)
    assert [(e.stream_id, e.version) for e in log] == (
        [("big-0", 1)] + [("big-1", v) for v in range(1, 1204)] + [("big-0", 2)]
    )


def test_an_append_inside_a_callers_transaction_takes_no_savepoint():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        store.append("cart-1", "cart", events("Opened", "Filled"), store.NO_STREAM)
        with pytest.raises(ConcurrencyError):
            store.append("cart-1", "cart", events("Closed"), 1)  # refused: the stream is at 2
        store.append("cart-1", "cart", events("Closed"), 2)  # the transaction goes on
    assert not [q for q in queries if "SAVEPOINT" in q["sql"].upper()]
    assert [e.version for e in store.read_stream("cart-1")] == [1, 2, 3]


def test_metadata_correlation_and_causation_are_stored_with_every_event():
    correlation, causation = uuid.uuid4(), uuid.uuid4()
    new = store.NewEvent(
        "Opened",
        {"a": 1},
        metadata={"user_id": 7, "command_id": "c-1"},
        correlation_id=correlation,
        causation_id=causation,
    )
    store.append("cart-1", "cart", [new], store.NO_STREAM)
    (recorded,) = store.read_stream("cart-1")
    assert recorded.event_id == new.event_id
    assert recorded.metadata == {"user_id": 7, "command_id": "c-1"}
    assert (recorded.correlation_id, recorded.causation_id) == (correlation, causation)
    assert recorded.stream_type == "cart" and recorded.recorded_at.tzinfo is not None


def test_a_stream_reads_from_a_version_up_to_a_version():
    store.append("cart-1", "cart", events("A", "B", "C", "D"), store.NO_STREAM)
    assert [e.event_type for e in store.read_stream("cart-1", from_version=2, to_version=3)] == [
        "B",
        "C",
    ]


def test_a_stream_reads_as_of_an_instant():
    store.append("cart-1", "cart", events("A", "B"), store.NO_STREAM)
    between = store.read_stream("cart-1")[-1].recorded_at
    store.append("cart-1", "cart", events("C"), 2)
    assert [e.event_type for e in store.read_stream("cart-1", as_of=between)] == ["A", "B"]
    assert store.read_stream("cart-1", as_of=between - dt.timedelta(days=1)) == []


def test_reading_as_of_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        store.read_stream("cart-1", as_of=dt.datetime(2026, 1, 1))


def test_the_global_log_pages_after_a_checkpoint_without_gaps():
    for n in range(5):
        store.append(f"cart-{n}", "cart", events("A", "B", "C"), store.NO_STREAM)
    seen, checkpoint = [], store.START
    while page := store.read_all(after=checkpoint, limit=4):
        seen.extend(page)
        checkpoint = page[-1].checkpoint
    assert len(seen) == 15
    assert [e.position for e in seen] == sorted(e.position for e in seen)
    assert checkpoint == store.head()
    assert store.count_after(checkpoint) == 0
    assert store.checkpoint_of(seen[3].position) == seen[3].checkpoint


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [2, 1000])
def test_an_id_stored_by_another_stream_refuses_the_append_outside_a_transaction(size):
    # Outside any transaction the guard leaves the ids to the unique index: the clash
    # is still a duplicate, never a version conflict, and writes nothing.
    taken = store.append("cart-1", "cart", events("Opened"), store.NO_STREAM).positions
    stored = store.read_stream("cart-1")[0].event_id
    batch = [store.NewEvent("Tick", {"i": i}) for i in range(size - 1)]
    batch.append(store.NewEvent("Dup", {}, event_id=stored))
    with pytest.raises(DuplicateEventError):
        store.append("cart-9", "cart", batch, store.NO_STREAM)
    assert store.stream_version("cart-9") == 0
    assert [e.position for e in store.read_all()] == list(taken)


@pytest.mark.parametrize("size", [2, 1000])
def test_an_id_stored_by_another_stream_is_refused_inside_a_callers_transaction(size):
    from django.db import transaction

    stored = store.append("cart-1", "cart", events("Opened"), store.NO_STREAM)
    stored_id = store.read_stream("cart-1")[0].event_id
    batch = [store.NewEvent("Tick", {"i": i}) for i in range(size - 1)]
    batch.append(store.NewEvent("Dup", {}, event_id=stored_id))
    with transaction.atomic():
        with pytest.raises(DuplicateEventError):
            store.append("cart-9", "cart", batch, store.NO_STREAM)
        # Refused without an error in the database: the transaction goes on.
        store.append("cart-1", "cart", events("Filled"), stored.version)
    assert store.stream_version("cart-9") == 0
    assert store.stream_version("cart-1") == 2
