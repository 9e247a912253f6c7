"""Archival under real concurrent connections (PostgreSQL): an append racing the
archiving of its stream either lands first (and the archiving refuses, deleting
nothing) or is refused as archived; a follower reading the log while streams are
archived sees every event exactly once, in order."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django.utils import timezone

from eventstore import archive, store
from eventstore.errors import StreamArchived
from eventstore.models import ArchivedStream, Event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _parcels_close_once_delivered(monkeypatch):
    monkeypatch.setitem(archive._closing, "parcel", frozenset({"Delivered"}))


def closed_parcels(count: int) -> list[str]:
    streams = [f"parcel-{n:04d}" for n in range(count)]
    for stream in streams:
        store.append(
            stream,
            "parcel",
            [store.NewEvent("Packed", {"n": 1}), store.NewEvent("Delivered", {"n": 2})],
            store.NO_STREAM,
        )
    return streams


def test_an_append_racing_the_archiving_of_its_stream_never_survives_beside_it():
    streams = closed_parcels(40)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def append_late() -> None:
        try:
            barrier.wait(10)
            for stream in reversed(streams):
                try:
                    store.append(stream, "parcel", [store.NewEvent("Noted", {})], 2)
                    outcomes[stream] = "appended"
                except StreamArchived:
                    outcomes[stream] = "refused"
        finally:
            connections.close_all()

    writer = threading.Thread(target=append_late)
    writer.start()
    barrier.wait(10)
    try:
        archive.archive_streams(streams)
        archived = True
    except archive.ArchiveRaced:
        archived = False
    writer.join(30)

    assert len(outcomes) == len(streams)
    hot = set(Event.objects.values_list("stream_id", flat=True))
    gone = set(ArchivedStream.objects.values_list("stream_id", flat=True))
    assert not hot & gone  # no stream is both archived and written to
    if archived:
        # Each append was refused, or landed before the archive read the stream and
        # went into the segment with it.
        assert gone == set(streams)
        for stream, outcome in outcomes.items():
            assert store.stream_version(stream) == (3 if outcome == "appended" else 2)
    else:
        # The archive saw a stream change and deleted nothing; every append stood.
        assert not gone and set(outcomes.values()) == {"appended"}
    for stream in streams:  # whatever happened, each stream reads whole, in order
        assert [e.version for e in store.read_stream(stream)] == list(
            range(1, store.stream_version(stream) + 1)
        )


def test_a_follower_reading_while_streams_are_archived_sees_every_event_once_in_order():
    streams = closed_parcels(60)
    expected = [(e.position, e.event_id) for e in store.read_all(store.START, limit=10_000)]
    stop = threading.Event()
    reads: list[list[tuple[int, object]]] = []
    failures: list[BaseException] = []

    def follow() -> None:
        try:
            while not stop.is_set():
                seen, after = [], store.START
                while page := store.read_all(after, limit=7):
                    seen += [(e.position, e.event_id) for e in page]
                    after = page[-1].checkpoint
                reads.append(seen)
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    follower = threading.Thread(target=follow)
    follower.start()
    for part in (streams[:20], streams[20:40], streams[40:]):
        archive.archive_streams(part)
    stop.set()
    follower.join(30)

    assert not failures, failures
    assert len(reads) >= 1
    assert all(seen == expected for seen in reads), [len(seen) for seen in reads]
    assert not Event.objects.filter(stream_id__in=streams).exists()
    assert archive.closed_streams(timezone.now() + dt.timedelta(seconds=1)) == []
