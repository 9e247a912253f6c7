"""The event catalog (`manage.py events_catalog`, docs/events.md) and the dry run of
the upcasters over the stored events."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from uuid import uuid4

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from eventstore import events, store, upcasting
from eventstore.models import Event
from projections import event_catalog
from tests.browser.admin_users import make_staff
from tests.projections.conftest import append

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def run(*args: str) -> str:
    out = StringIO()
    call_command("events_catalog", *args, stdout=out, stderr=out)
    return out.getvalue()


def v1_ready_to_ship(reference: str = "CHR00AA11BB22CC") -> tuple[str, dict]:
    order_id = uuid4()
    data = {"order_id": str(order_id), "shipment_id": str(uuid4()), "tracking_number": reference}
    append(f"order-{order_id}", "order", store.NewEvent("OrderReadyToShip", data, schema_version=1))
    return f"order-{order_id}", data


def test_docs_events_md_is_the_catalog_as_generated_now():
    # Other tests register event types of their own; the document lists Chronicle's.
    chronicles = [
        name
        for name in events.event_types()
        if not events.event_class(name).__module__.startswith("tests.")
    ]
    assert DOCS.read_text() == event_catalog.markdown(chronicles), (
        "docs/events.md is stale: python manage.py events_catalog --markdown > docs/events.md"
    )


def test_the_catalog_names_every_event_type_with_its_fields_upcasters_and_readers():
    by_name = {t.name: t for t in event_catalog.catalog()}
    assert set(by_name) == set(events.event_types())

    ready = by_name["OrderReadyToShip"]
    assert ready.schema_version == 2
    assert [f.name for f in ready.fields] == ["order_id", "shipment_id", "shipment_reference"]
    assert ready.upcasters == (
        "v1 → v2: orders.events._tracking_number_becomes_shipment_reference",
    )
    assert "order_details" in ready.projections

    registered = by_name["CustomerRegistered"]
    personal = {f.name for f in registered.fields if f.personal}
    assert personal == set(events.personal_fields("CustomerRegistered")[1])
    assert {"email", "name"} <= personal
    assert registered.subject == "customer_id"

    assert by_name["OrderPaid"].processes == ("fulfillment",)
    assert by_name["ProductAdded"].processes == ()


@pytest.mark.django_db
def test_the_command_counts_each_schema_version_stored_and_masks_the_sample(shop):
    shop.customer(email="catalog.person@example.com")
    v1_ready_to_ship()
    v1_ready_to_ship()

    out = run()

    ready = out.split("OrderReadyToShip v2")[1].split("\n\n")[0]
    assert "stored: v1: 2" in ready
    assert "upcaster v1 → v2" in ready
    registered = out.split("CustomerRegistered v1")[1]
    assert "stored: v1: 1" in registered
    assert event_catalog.PERSONAL_MARK in registered
    assert "catalog.person@example.com" not in out


@pytest.mark.django_db
def test_a_dry_run_of_sound_upcasters_shows_before_and_after_and_writes_nothing():
    v1_ready_to_ship("CHR-SOUND")
    head = store.head()

    out = run("--dry-run", "OrderReadyToShip")

    assert "OrderReadyToShip: 1 checked, ok" in out
    assert '"schema_version": 1' in out and '"tracking_number": "CHR-SOUND"' in out
    assert '"schema_version": 2' in out and '"shipment_reference": "CHR-SOUND"' in out
    assert store.head() == head


@pytest.fixture
def broken_upcaster():
    """The v1 upcaster of OrderReadyToShip replaced by one that fails on some events."""
    real = dict(upcasting.registered("OrderReadyToShip"))[1]
    upcasting.unregister("OrderReadyToShip", 1)

    def broken(data):
        if data["tracking_number"].startswith("BAD"):
            raise KeyError("carrier")
        return real(data)

    upcasting.upcaster("OrderReadyToShip", 1)(broken)
    yield
    upcasting.unregister("OrderReadyToShip", 1)
    upcasting.upcaster("OrderReadyToShip", 1)(real)


@pytest.mark.django_db
def test_a_dry_run_finds_every_event_a_broken_upcaster_fails_on(broken_upcaster):
    v1_ready_to_ship("CHR-GOOD")
    bad_stream, _ = v1_ready_to_ship("BAD-1")
    rows_before = list(Event.objects.order_by("position").values_list("position", "data"))

    with pytest.raises(CommandError) as refused:
        run("--dry-run")

    assert refused.value.returncode == 1
    assert "1 stored event(s) fail to upcast" in str(refused.value)
    bad = Event.objects.get(stream_id=bad_stream)
    (failure,) = next(
        r for r in event_catalog.dry_run(["OrderReadyToShip"]) if r.event_type == "OrderReadyToShip"
    ).failures
    assert failure == {
        "event_id": str(bad.event_id),
        "position": bad.position,
        "schema_version": 1,
        "error": "KeyError: 'carrier'",
    }
    assert list(Event.objects.order_by("position").values_list("position", "data")) == rows_before


@pytest.mark.django_db
def test_a_dry_run_reports_an_upcast_that_no_longer_fits_the_event_class(broken_upcaster):
    v1_ready_to_ship("CHR-FITS")
    upcasting.unregister("OrderReadyToShip", 1)
    upcasting.upcaster("OrderReadyToShip", 1)(lambda data: {**data, "carrier": "x"})

    (result,) = event_catalog.dry_run(["OrderReadyToShip"])

    assert result.checked == 1
    assert len(result.failures) == 1


def test_an_unknown_event_type_is_refused():
    with pytest.raises(CommandError, match="unknown event type"):
        run("--dry-run", "NoSuchEvent")


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff())
    return client


CATALOG_PAGE = "admin:projections_event_catalog"


@pytest.mark.django_db
def test_the_admin_catalog_lists_every_type_with_its_counts_and_is_linked_from_health(
    staff_client,
):
    v1_ready_to_ship()

    page = staff_client.get(reverse(CATALOG_PAGE))

    assert page.status_code == 200
    html = page.content.decode()
    for name in events.event_types():
        assert f'id="event-type-{name}"' in html
    ready = html.split('id="event-type-OrderReadyToShip"')[1].split("</tr>")[0]
    assert "schema v2" in ready and "v1: 1" in ready
    assert "_tracking_number_becomes_shipment_reference" in ready
    health = staff_client.get(reverse("admin:projections_projectionstate_changelist"))
    assert reverse(CATALOG_PAGE) in health.content.decode()


@pytest.mark.django_db
def test_the_admin_dry_run_names_the_failing_event_and_writes_nothing(
    staff_client, broken_upcaster
):
    stream_id, _ = v1_ready_to_ship("BAD-ADMIN")
    bad = Event.objects.get(stream_id=stream_id)
    head = store.head()

    page = staff_client.get(reverse(CATALOG_PAGE), {"dry_run": "OrderReadyToShip"})

    html = page.content.decode()
    assert "1 stored event checked" in html and "1 failed" in html
    assert "KeyError: &#x27;carrier&#x27;" in html
    assert reverse("admin:eventstore_event_change", args=[bad.position]) in html
    assert store.head() == head


@pytest.mark.django_db
def test_the_admin_catalog_is_for_staff_only_and_refuses_an_unknown_type(client, staff_client):
    assert staff_client.get(reverse(CATALOG_PAGE), {"dry_run": "Nope"}).status_code == 404
    client.force_login(get_user_model().objects.create_user("customer"))
    assert client.get(reverse(CATALOG_PAGE)).status_code == 302
