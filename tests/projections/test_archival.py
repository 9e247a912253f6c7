"""Archival: closed streams move to an archive segment, and every read still sees
them exactly; an archived stream takes no more events; only archival's sanctioned
path deletes from the event table. Both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from eventstore import archive, store, verification
from eventstore.errors import StreamArchived
from eventstore.models import ArchivedStream, ArchiveSegment, Event, Seal
from eventstore.repository import Repository
from orders.order import Order
from tests.projections.conftest import catch_up
from tests.projections.test_rebuild import busy_history, rebuild_all, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(shop):
    busy_history(shop, orders=9)
    catch_up()
    return shop


def archive_all_closed(capture) -> str:
    later = (timezone.now() + dt.timedelta(seconds=1)).isoformat()
    with capture(execute=True):
        call_command("archive_events", "--closed-before", later)
    return later


def whole_log() -> list[store.RecordedEvent]:
    events, after = [], store.START
    while page := store.read_all(after, limit=7):
        events += page
        after = page[-1].checkpoint
    return events


def closed_order_stream() -> str:
    return ArchivedStream.objects.filter(stream_id__startswith="order-").first().stream_id


def test_closed_streams_move_to_a_segment_and_open_ones_stay(
    history, django_capture_on_commit_callbacks
):
    closed = archive.closed_streams(timezone.now() + dt.timedelta(seconds=1))
    assert any(s.startswith("order-") for s in closed)
    open_orders = {
        e.stream_id for e in Event.objects.filter(stream_type="order").exclude(stream_id__in=closed)
    }
    assert open_orders
    hot_before = Event.objects.count()
    archive_all_closed(django_capture_on_commit_callbacks)

    segment = ArchiveSegment.objects.get()
    assert segment.verified_at is not None
    assert set(ArchivedStream.objects.values_list("stream_id", flat=True)) == set(closed)
    assert not Event.objects.filter(stream_id__in=closed).exists()
    assert Event.objects.count() == hot_before - segment.events
    assert open_orders <= set(Event.objects.values_list("stream_id", flat=True))
    manifest = archive.storage().open(f"{segment.name}.manifest.json").read()
    assert segment.sha256.encode() in manifest
    assert Seal.objects.get().archived.keys() == set(closed)


def test_a_dry_run_moves_nothing(history, capsys):
    later = (timezone.now() + dt.timedelta(seconds=1)).isoformat()
    before = Event.objects.count()
    call_command("archive_events", "--closed-before", later, "--dry-run")
    assert "Would archive" in capsys.readouterr().out
    assert Event.objects.count() == before and not ArchiveSegment.objects.exists()


def test_every_read_of_an_archived_stream_is_as_before(history, django_capture_on_commit_callbacks):
    log_before = whole_log()
    stream = next(s for s in archive.closed_streams(timezone.now()) if s.startswith("order-"))
    events = store.read_stream(stream)
    middle = events[len(events) // 2]
    reads = {
        "all": store.read_stream(stream),
        "from": store.read_stream(stream, from_version=2),
        "to": store.read_stream(stream, to_version=2),
        "as_of": store.read_stream(stream, as_of=middle.recorded_at),
    }
    order_id = stream.removeprefix("order-")
    loaded = Repository(Order).load(order_id)
    at_version_2 = Repository(Order).load(order_id, at_version=2)
    hot = Event.objects.filter(stream_type="order").exclude(stream_id=stream).first().stream_id
    several = [(s, Order.snapshot_schema_version) for s in (stream, hot, "order-none")]
    together = store.read_from_snapshots(several)

    archive_all_closed(django_capture_on_commit_callbacks)

    assert not Event.objects.filter(stream_id=stream).exists()
    assert store.read_stream(stream) == reads["all"]
    assert store.read_stream(stream, from_version=2) == reads["from"]
    assert store.read_stream(stream, to_version=2) == reads["to"]
    assert store.read_stream(stream, as_of=middle.recorded_at) == reads["as_of"]
    assert Repository(Order).load(order_id) == loaded
    assert Repository(Order).load(order_id, at_version=2) == at_version_2
    assert store.read_from_snapshots(several) == together
    assert together[0] == (None, reads["all"]) and together[2] == (None, [])
    assert store.stream_version(stream) == events[-1].version
    assert whole_log() == log_before  # the global read order, archived events in place
    assert store.head() == log_before[-1].checkpoint
    assert store.count_after(store.START) == len(log_before)


def test_a_rebuild_after_archiving_equals_the_read_models_before(
    history, django_capture_on_commit_callbacks
):
    before = snapshot()
    archive_all_closed(django_capture_on_commit_callbacks)
    rebuild_all()
    assert snapshot() == before


def test_an_archived_stream_takes_no_more_events(history, django_capture_on_commit_callbacks):
    archive_all_closed(django_capture_on_commit_callbacks)
    stream = closed_order_stream()
    version = store.stream_version(stream)
    for expected in (store.NO_STREAM, version, store.ANY):
        with pytest.raises(StreamArchived):
            store.append(stream, "order", [store.NewEvent("OrderNoted", {})], expected)
    assert store.stream_version(stream) == version
    assert not Event.objects.filter(stream_id=stream).exists()


def test_the_api_follows_the_log_across_archived_history(
    history, staff, django_capture_on_commit_callbacks
):
    before = staff.get("/api/events/", limit=1000).json()["results"]
    archive_all_closed(django_capture_on_commit_callbacks)
    assert staff.get("/api/events/", limit=1000).json()["results"] == before
    archived = next(e for e in before if e["stream_id"] == closed_order_stream())
    page = staff.get("/api/events/", after=archived["position"], limit=3).json()["results"]
    following = [e["position"] for e in before]
    start = following.index(archived["position"]) + 1
    assert [e["position"] for e in page] == following[start : start + 3]


def test_the_admins_stream_page_reads_an_archived_stream(
    history, admin_client, django_capture_on_commit_callbacks
):
    archive_all_closed(django_capture_on_commit_callbacks)
    stream = closed_order_stream()
    page = admin_client.get(f"/admin/eventstore/event/stream/{stream}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="archived-note"' in html and "OrderCreated" in html


def test_verify_events_checks_archived_history_and_finds_a_changed_segment(
    history, django_capture_on_commit_callbacks
):
    archive_all_closed(django_capture_on_commit_callbacks)
    report = verification.verify()
    assert report.clean, report.breaks
    assert report.events == Event.objects.count() + ArchiveSegment.objects.get().events
    segment = ArchiveSegment.objects.get()
    with archive.storage().open(segment.name, "wb") as handle:
        handle.write(b"not the segment")
    found = verification.verify().breaks
    assert [b.kind for b in found][:1] == ["archive_changed"]


# The one sanctioned delete


def test_a_delete_outside_archival_is_still_refused(history):
    event = Event.objects.filter(stream_type="order").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(position=event.position).delete()
    # Archived, but in a segment not verified: still refused.
    segment = ArchiveSegment.objects.create(
        number=1,
        name="x",
        sha256="0" * 64,
        events=1,
        first_tx_id=0,
        first_position=0,
        last_tx_id=0,
        last_position=0,
        min_position=0,
        max_position=0,
        created_at=timezone.now(),
        manifest={},
    )
    ArchivedStream.objects.create(stream_id=event.stream_id, segment=segment, version=99)
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(position=event.position).delete()
    assert Event.objects.filter(position=event.position).exists()


@pytest.mark.postgres
def test_the_applications_role_cannot_delete_even_what_archival_may(history):
    """Production revokes DELETE from the application's role; archival deletes as a role
    of its own (README, production notes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chronicle_app')"
            " THEN CREATE ROLE chronicle_app; END IF; END $$"
        )
        cursor.execute("GRANT SELECT, INSERT ON eventstore_event TO chronicle_app")
        cursor.execute("REVOKE DELETE ON eventstore_event FROM chronicle_app")
        stream = archive.closed_streams(timezone.now())[0]
        cursor.execute("SAVEPOINT as_app")
        cursor.execute("SET LOCAL ROLE chronicle_app")
        with pytest.raises(DatabaseError, match="permission denied"):
            cursor.execute("DELETE FROM eventstore_event WHERE stream_id = %s", [stream])
        cursor.execute("ROLLBACK TO SAVEPOINT as_app")
        cursor.execute("RESET ROLE")
    assert Event.objects.filter(stream_id=stream).exists()


def test_a_command_that_meets_an_archived_stream_is_a_409_stream_archived():
    from problems.handler import problem_exception_handler

    response = problem_exception_handler(StreamArchived("order-123"), {})
    assert response is not None
    assert (response.status_code, response.data["code"]) == (409, "stream_archived")
    assert response.data["detail"] == "order 123 is archived and takes no more commands"


def test_an_archived_orders_state_history_and_events_read_as_before(
    history, staff, django_capture_on_commit_callbacks
):
    stream = next(s for s in archive.closed_streams(timezone.now()) if s.startswith("order-"))
    order = stream.removeprefix("order-")
    first = store.read_stream(stream)[0]
    paths = [
        f"/api/orders/{order}/state",
        f"/api/orders/{order}/history",
        f"/api/orders/{order}/events",
    ]
    as_of = {"as_of": first.recorded_at.isoformat()}
    before = [staff.get(path).json() for path in paths]
    then = staff.get(paths[0], **as_of).json()
    assert then != before[0]  # the order as it was when created
    archive_all_closed(django_capture_on_commit_callbacks)
    assert not Event.objects.filter(stream_id=stream).exists()
    assert [staff.get(path).json() for path in paths] == before
    assert staff.get(paths[0], **as_of).json() == then


def test_several_segments_merge_into_the_log_in_its_order(
    history, django_capture_on_commit_callbacks, settings
):
    log_before, tables_before = whole_log(), snapshot()
    closed = archive.closed_streams(timezone.now() + dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        for part in (closed[::3], closed[1::3], closed[2::3]):
            archive.archive_streams(part)
    assert ArchiveSegment.objects.count() == 3
    assert whole_log() == log_before
    settings.PROJECTIONS_BATCH_SIZE = 5  # rebuild pages that start and end inside segments
    rebuild_all()
    assert snapshot() == tables_before
    assert verification.verify().clean


def test_a_run_writes_segments_of_bounded_size(
    history, settings, django_capture_on_commit_callbacks
):
    settings.ARCHIVE_SEGMENT_EVENTS = 10
    log_before = whole_log()
    archive_all_closed(django_capture_on_commit_callbacks)
    segments = list(ArchiveSegment.objects.all())
    assert len(segments) > 1
    longest = max(
        len(store.read_stream(s))
        for s in ArchivedStream.objects.values_list("stream_id", flat=True)
    )
    assert all(s.events <= max(10, longest) for s in segments)
    assert whole_log() == log_before
