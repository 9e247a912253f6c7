"""Tamper evidence: chain hashes and seals show every edit a database superuser can
make to the log; both backends.

Each tampering test switches the append-only triggers off inside the test, as
someone with the database's superuser would, edits the log with plain SQL, and
checks that verification names exactly what was done.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from contextlib import contextmanager
from decimal import Decimal
from uuid import uuid4

import pytest
import rfc8785
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string

from eventstore import chain, guards, sealing, store, verification
from eventstore.models import Event, Seal, VerificationRun
from eventstore.repository import Repository
from tests.eventstore.test_repository import Counter

pytestmark = pytest.mark.django_db


def noted(**data) -> store.NewEvent:
    return store.NewEvent("Noted", data, metadata={"user": "u-1"})


@pytest.fixture
def seal_now(django_capture_on_commit_callbacks):
    """Take a seal as the schedule does: committed, its outside record written."""

    def seal() -> Seal:
        with django_capture_on_commit_callbacks(execute=True):
            taken = sealing.take_seal()
        assert taken is not None
        return taken

    return seal


@pytest.fixture
def log():
    """Three streams of four events each."""
    for name in ("a", "b", "c"):
        store.append(f"s-{name}", "s", [noted(n=n) for n in range(1, 5)], store.NO_STREAM)


@contextmanager
def as_superuser():
    """The append-only triggers off, for the length of the block."""
    with connection.cursor() as cursor:
        for statement in guards.remove_sql(connection.vendor):
            cursor.execute(statement)
        try:
            yield cursor
        finally:
            for statement in guards.install_sql(connection.vendor):
                cursor.execute(statement)


def only_break(report: verification.Report) -> verification.Break:
    assert len(report.breaks) == 1, report.breaks
    return report.breaks[0]


def position(stream_id: str, version: int) -> int:
    return Event.objects.get(stream_id=stream_id, version=version).position


# A clean log


def test_every_event_is_chained_to_the_one_before_it_in_its_stream(log):
    events = store.read_stream("s-a")
    previous = None
    for event in events:
        stored = Event.objects.get(position=event.position)
        assert event.chain_hash == chain.link(
            previous,
            event_id=event.event_id,
            stream_id="s-a",
            stream_type="s",
            version=event.version,
            event_type="Noted",
            schema_version=1,
            data=chain.canonical(stored.data),
            metadata=chain.canonical(stored.metadata),
            recorded_at=event.recorded_at,
        )
        previous = event.chain_hash
    assert len({e.chain_hash for e in events}) == 4


def test_a_clean_log_verifies_clean_and_the_run_is_recorded(log, seal_now):
    seal_now()
    store.append("s-a", "s", [noted(n=5)], 4)
    report = verification.verify()
    assert report.clean, report.breaks
    assert report.events == 13 and report.seals == 1
    run = VerificationRun.objects.get()
    assert run.is_clean and run.up_to_position == store.head().position


def test_a_hash_made_without_the_key_does_not_verify(log, settings):
    settings.INTEGRITY_KEY = base64.b64encode(b"k" * 32).decode()
    found = verification.verify().breaks
    assert {b.stream_id for b in found} == {"s-a", "s-b", "s-c"}


HEAD_QUERY = "SELECT version, chain_hash, recorded_at"


def test_appending_after_a_load_needs_no_query_for_the_previous_hash():
    repo = Repository(Counter, snapshot_every=3)
    counter = Counter(id=uuid4())
    counter.count()
    repo.save(counter)
    for _ in range(4):  # past a snapshot, which carries the head too
        loaded = repo.load(counter.id)
        loaded.count()
        with CaptureQueriesContext(connection) as queries:
            repo.save(loaded)
        assert not [q for q in queries if HEAD_QUERY in q["sql"]]
    with CaptureQueriesContext(connection) as queries:  # what the load saved asking
        store.append(counter.stream_id, "counter", [noted()], 5)
    assert [q for q in queries if HEAD_QUERY in q["sql"]]
    assert verification.verify(stream_id=counter.stream_id).clean


def test_an_append_without_the_head_reads_it_and_still_chains(log):
    store.append("s-a", "s", [noted(n=5)], 4)
    store.append("s-a", "s", [noted(n=6)], store.ANY)
    assert verification.verify().clean


# Each kind of tampering, reported exactly


def test_changed_data_is_reported_at_its_stream_and_version(log):
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET data = %s WHERE stream_id = 's-b' AND version = 2",
            ['{"n": 200}'],
        )
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id, found.version) == ("changed", "s-b", 2)
    assert found.position == position("s-b", 2)


def test_changed_metadata_is_reported(log):
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET metadata = %s WHERE stream_id = 's-c' AND version = 1",
            ['{"user": "someone-else"}'],
        )
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id, found.version) == ("changed", "s-c", 1)


def test_a_changed_event_type_is_reported(log):
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET event_type = 'Forged'"
            " WHERE stream_id = 's-a' AND version = 3"
        )
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id, found.version) == ("changed", "s-a", 3)


def test_a_deleted_last_event_is_reported_against_the_seal(log, seal_now):
    seal_now()
    with as_superuser() as cursor:
        cursor.execute("DELETE FROM eventstore_event WHERE stream_id = 's-a' AND version = 4")
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id, found.version) == ("missing", "s-a", 4)
    assert "newest events were deleted" in found.detail


def test_a_deleted_event_in_the_middle_is_reported(log):
    with as_superuser() as cursor:
        cursor.execute("DELETE FROM eventstore_event WHERE stream_id = 's-b' AND version = 2")
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id, found.version) == ("missing", "s-b", 2)


def test_a_forged_event_with_a_plausible_hash_is_reported_as_inserted(log):
    last = Event.objects.get(stream_id="s-c", version=4)
    plausible = hashlib.sha256(last.chain_hash.encode() + b"forged").hexdigest()
    Event.objects.create(
        event_id=uuid4(),
        stream_id="s-c",
        stream_type="s",
        event_type="Noted",
        schema_version=1,
        data={"n": 5},
        metadata={"user": "u-1"},
        version=5,
        recorded_at=last.recorded_at,
        chain_hash=plausible,
    )
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id, found.version) == ("inserted", "s-c", 5)


def test_a_forged_event_without_a_hash_is_reported_as_inserted(log, seal_now):
    seal_now()
    last = Event.objects.get(stream_id="s-c", version=4)
    Event.objects.create(
        event_id=uuid4(),
        stream_id="s-c",
        stream_type="s",
        event_type="Noted",
        schema_version=1,
        data={"n": 5},
        metadata={},
        version=5,
        recorded_at=last.recorded_at,
    )
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id, found.version) == ("inserted", "s-c", 5)


def test_two_swapped_versions_are_reported_as_reordered(log):
    with as_superuser() as cursor:
        for version, temporary in ((2, 102), (3, 2), (102, 3)):
            cursor.execute(
                "UPDATE eventstore_event SET version = %s WHERE stream_id = 's-a' AND version = %s",
                [temporary, version],
            )
    report = verification.verify()
    assert {(b.kind, b.stream_id) for b in report.breaks} == {("reordered", "s-a")}
    assert report.first.version in (2, 3)


def test_a_dropped_stream_is_reported_against_the_seal(log, seal_now):
    seal_now()
    with as_superuser() as cursor:
        cursor.execute("DELETE FROM eventstore_event WHERE stream_id = 's-b'")
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id) == ("stream_missing", "s-b")


def test_a_changed_seal_is_reported(log, seal_now):
    seal = seal_now()
    heads = {**seal.heads, "s-a": [3, seal.heads["s-a"][1]]}
    Seal.objects.filter(number=seal.number).update(heads=heads)
    kinds = {b.kind for b in verification.verify().breaks}
    assert "seal_changed" in kinds


def test_deleting_the_newest_seal_with_the_newest_events_is_caught_outside(log, seal_now):
    seal_now()
    store.append("s-a", "s", [noted(n=5)], 4)
    seal_now()
    with as_superuser() as cursor:
        cursor.execute("DELETE FROM eventstore_event WHERE stream_id = 's-a' AND version = 5")
    Seal.objects.filter(number=2).delete()
    found = only_break(verification.verify())
    assert found.kind == "seal_missing" and "seal 2" in found.detail


def test_a_seal_with_nothing_new_is_not_taken(log, seal_now):
    seal_now()
    assert sealing.take_seal() is None
    assert Seal.objects.count() == 1


# Events recorded before chaining


def _unchained(stream_id: str, versions: range) -> None:
    at = store.read_stream("s-a")[0].recorded_at
    for version in versions:
        Event.objects.create(
            event_id=uuid4(),
            stream_id=stream_id,
            stream_type="s",
            event_type="Noted",
            schema_version=1,
            data={"n": version},
            metadata={},
            version=version,
            recorded_at=at,
        )


def test_the_genesis_seal_covers_events_recorded_before_chaining(log, seal_now):
    _unchained("old-1", range(1, 4))
    assert {b.kind for b in verification.verify().breaks} == {"inserted"}  # not sealed yet
    seal_now()
    store.append("old-1", "s", [noted(n=4)], 3)
    assert verification.verify().clean
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET data = %s WHERE stream_id = 'old-1' AND version = 1",
            ['{"n": 100}'],
        )
    seal_now()
    found = only_break(verification.verify())
    assert (found.kind, found.stream_id, found.version) == ("changed", "old-1", 3)


# The command


def test_verify_events_exits_non_zero_naming_the_first_break(log, capsys):
    call_command("verify_events", "--no-progress")
    assert "no break" in capsys.readouterr().out
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET data = %s WHERE stream_id = 's-b' AND version = 3",
            ['{"n": 0}'],
        )
    with pytest.raises(CommandError) as failure:
        call_command("verify_events", "--no-progress")
    message = str(failure.value)
    assert "data or metadata changed: s-b version 3" in message
    assert f"position {position('s-b', 3)}" in message


def test_verify_events_for_one_stream_and_since_a_seal(log, seal_now, capsys):
    seal_now()
    store.append("s-a", "s", [noted(n=5)], 4)
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET data = %s WHERE stream_id = 's-c' AND version = 2",
            ['{"n": 0}'],
        )
    call_command("verify_events", "--stream", "s-a", "--no-progress")
    call_command("verify_events", "--since-seal", "1", "--no-progress")  # s-c: sealed before
    assert capsys.readouterr().out.count("no break") == 2
    with pytest.raises(CommandError, match="s-c version 2"):
        call_command("verify_events", "--since-seal", "0", "--no-progress")
    with pytest.raises(CommandError, match="s-c version 2"):
        call_command("verify_events", "--stream", "s-c", "--no-progress")


def test_seal_events_seals_on_demand(log, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seal_events")
    assert "Sealed #1: 3 streams" in capsys.readouterr().out
    assert sealing.outside_records() == {1: Seal.objects.get().seal_hash}


# Canonical bytes


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, None, "x"], "ключ": "日本語 🧾"},
        {"escapes": 'q " b \\ n \n t \t c \x01 \x1f u \u2028 e é', "n": -(2**53 - 1)},
        {"float": 1.5, "whole": 3.0, "big": 1e21, "small": 1e-7, "max": 1.7976931348623157e308},
        {"\ue000": 1, "😀": 2, "a": 3},
        [],
        {},
        "text",
    ],
)
def test_canonical_bytes_are_rfc_8785(value):
    assert chain.canonical(value) == rfc8785.dumps(value)


def test_values_that_are_not_plain_json_are_hashed_as_stored():
    assert chain.canonical({"price": Decimal("12.50")}, '{"price": "12.50"}') == (
        b'{"price":"12.50"}'
    )
    assert chain.canonical({"pair": (1, 2)}, '{"pair": [1, 2]}') == b'{"pair":[1,2]}'


@pytest.mark.parametrize("key_length", [32, 64, 65, 100])
def test_a_chain_hash_is_hmac_sha256_of_the_previous_hash_and_the_canonical_bytes(key_length):
    signing_key = bytes(range(key_length))
    previous = hashlib.sha256(b"previous").hexdigest()
    event_id, at = uuid4(), dt.datetime(2026, 12, 4, 10, 32, 1, 123456, tzinfo=dt.UTC)
    parts = [str(event_id), "order-1", "Order", 7, "OrderPaid", 2]
    data, metadata = b'{"a":1}', b'{"command":"PayOrder"}'
    message = (
        json.dumps(parts, separators=(",", ":")).encode()[:-1]
        + b","
        + data
        + b","
        + metadata
        + b',"2026-12-04T10:32:01.123456Z"]'
    )
    expected = hmac.new(signing_key, bytes.fromhex(previous) + message, hashlib.sha256)
    got = chain.link(
        previous,
        event_id=event_id,
        stream_id="order-1",
        stream_type="Order",
        version=7,
        event_type="OrderPaid",
        schema_version=2,
        data=data,
        metadata=metadata,
        recorded_at=at,
        signing_key=signing_key,
    )
    assert got == expected.hexdigest()


def test_events_appended_together_chain_one_to_the_next_as_hmac_says():
    signing_key = bytes(range(32))
    at = dt.datetime(2026, 12, 4, 10, 32, 1, 123456, tzinfo=dt.UTC)
    stream_id, stream_type = 'order-"1"-\u00e9', "Order\\x"  # both need escaping
    events = [
        (uuid4(), "OrderPaid", 1, b'{"a":1}', b"{}"),
        (uuid4(), 'Odd "type"', 2, b'{"b":[1,2]}', b'{"c":"d"}'),
        (uuid4(), 'Odd "type"', 2, b"{}", b'{"c":"d"}'),
    ]
    previous, expected = None, []
    for version, (event_id, event_type, schema_version, data, metadata) in enumerate(events, 41):
        parts = [str(event_id), stream_id, stream_type, version, event_type, schema_version]
        head = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()[:-1]
        message = head + b"," + data + b"," + metadata + b',"2026-12-04T10:32:01.123456Z"]'
        key = bytes.fromhex(previous) if previous else chain.GENESIS
        previous = hmac.new(signing_key, key + message, hashlib.sha256).hexdigest()
        expected.append(previous)
    got = chain.links(
        None,
        stream_id=stream_id,
        stream_type=stream_type,
        after=40,
        recorded_at=at,
        events=events,
        signing_key=signing_key,
    )
    assert got == expected


def test_integers_beyond_a_doubles_range_hash_by_their_digits():
    assert chain.canonical({"n": 2**63 + 1}) != chain.canonical({"n": 2**63})
    assert json.loads(chain.canonical({"n": 10**40})) == {"n": {"$integer": str(10**40)}}


# What staff are shown


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", password=None))
    return client


PAGES = {
    "index": "/admin/",
    "stream": "/admin/eventstore/event/stream/s-b/",
    "health": "/admin/projections/projectionstate/",
}


@pytest.mark.parametrize("page", PAGES)
def test_admin_pages_show_verified_up_to_a_position_then_the_break_in_red(admin_client, log, page):
    assert 'id="verification-none"' in admin_client.get(PAGES[page]).content.decode()
    verification.verify()
    clean = admin_client.get(PAGES[page]).content.decode()
    assert f"Verified up to position <strong>{store.head().position}</strong>" in clean
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET data = %s WHERE stream_id = 's-b' AND version = 2",
            ['{"n": 0}'],
        )
    verification.verify()
    broken = admin_client.get(PAGES[page]).content.decode()
    assert 'id="verification-break" class="chronicle-verification-break"' in broken
    link = f'href="/admin/eventstore/event/{position("s-b", 2)}/change/"'
    assert f'{link} class="chronicle-verification-break">data or metadata changed: s-b' in broken


def test_another_streams_break_leaves_a_stream_page_verified(admin_client, log):
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET data = %s WHERE stream_id = 's-b' AND version = 2",
            ['{"n": 0}'],
        )
    verification.verify()
    page = admin_client.get("/admin/eventstore/event/stream/s-a/").content.decode()
    assert "Verified up to position" in page and "verification-break" not in page


@pytest.mark.parametrize("key", ["", "c2hvcnQ=", "not base64!"])
def test_check_deploy_requires_a_32_byte_integrity_key(settings, key):
    settings.INTEGRITY_KEY = key
    with pytest.raises(SystemCheckError, match="INTEGRITY_KEY is not 32 bytes"):
        call_command("check", "--deploy", "--fail-level", "ERROR", tags=["security"])


def test_the_log_is_sealed_hourly_by_a_django_q2_schedule(log, django_capture_on_commit_callbacks):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="eventstore: seal")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "eventstore.sealing.seal_task",
        Schedule.MINUTES,
        60,
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_string(schedule.func)()
    assert Seal.objects.get().events == 12
    assert verification.verify().clean
