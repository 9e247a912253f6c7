"""X-Correlation-ID: one rule for every endpoint (config/correlation.py)."""

import uuid

import pytest

from config.correlation import NAMESPACE
from eventstore.models import Event
from tests.api.conftest import ADDRESS
from tests.fulfillment import run_fulfillment

pytestmark = pytest.mark.django_db

OPAQUE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"  # a W3C traceparent
ORDER = {"items": [], "shipping_address": ADDRESS}


def place(shop, correlation: str):
    body = {**ORDER, "items": [{"product_id": str(shop["mug"]), "quantity": 1}]}
    response = shop["alice"].post("/api/orders/", body, **{"X-Correlation-ID": correlation})
    assert response.status_code == 201, response.content
    return response


def test_an_opaque_correlation_id_is_echoed_as_given_and_stored_as_its_uuid5(shop):
    response = place(shop, OPAQUE)
    assert response["X-Correlation-ID"] == OPAQUE
    event = Event.objects.get(stream_id=f"order-{response.json()['id']}")
    assert event.correlation_id == uuid.uuid5(NAMESPACE, OPAQUE)
    assert event.metadata["correlation_id_given"] == OPAQUE


def test_the_same_opaque_id_gathers_every_request_that_sent_it(shop):
    first, second = place(shop, "req-42"), place(shop, "req-42")
    ids = {first.json()["id"], second.json()["id"]}
    rows = Event.objects.filter(correlation_id=uuid.uuid5(NAMESPACE, "req-42"))
    assert {row.stream_id for row in rows} == {f"order-{i}" for i in ids}


def test_the_processes_carry_the_opaque_id_into_the_events_they_cause(shop):
    order = place(shop, OPAQUE).json()["id"]
    paid = shop["alice"].post(
        f"/api/orders/{order}/pay", {"payment_id": "p-1"}, **{"X-Correlation-ID": OPAQUE}
    )
    assert paid.status_code == 200, paid.content
    run_fulfillment()
    caused = Event.objects.filter(correlation_id=uuid.uuid5(NAMESPACE, OPAQUE)).exclude(
        stream_id=f"order-{order}"
    )
    assert caused.exists()
    assert {row.metadata.get("correlation_id_given") for row in caused} == {OPAQUE}


def test_a_uuid_is_stored_as_it_is_without_a_given_copy(shop):
    correlation = str(uuid.uuid4()).upper()
    response = place(shop, correlation)
    assert response["X-Correlation-ID"] == correlation
    event = Event.objects.get(stream_id=f"order-{response.json()['id']}")
    assert event.correlation_id == uuid.UUID(correlation)
    assert "correlation_id_given" not in event.metadata


def test_the_longest_printable_value_is_accepted(shop):
    longest = "".join(chr(32 + i % 95) for i in range(128))
    assert place(shop, longest)["X-Correlation-ID"] == longest


READS = ["/api/orders/", "/api/products/", "/api/customers/me", "/api/stock/", "/healthz"]


@pytest.mark.parametrize("path", READS)
def test_reads_echo_an_opaque_correlation_id(shop, path):
    response = shop["alice"].get(path, headers={"X-Correlation-ID": OPAQUE})
    assert response.status_code in (200, 403, 404), response.content
    assert response["X-Correlation-ID"] == OPAQUE


@pytest.mark.parametrize("bad", ["x" * 129, "tab\there", "caf\u00e9"])
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/orders/"),
        ("get", "/api/products/"),
        ("get", "/healthz"),
        ("post", "/api/orders/"),
        ("post", "/api/auth/token/"),
    ],
)
def test_a_value_too_long_or_not_printable_is_refused_on_every_endpoint(shop, method, path, bad):
    client = shop["alice"].client
    response = getattr(client, method)(path, headers={"X-Correlation-ID": bad})
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid_correlation_id"
    assert body["errors"][0]["field"] == "X-Correlation-ID"
    assert not Event.objects.filter(event_type="OrderCreated").exists()


def test_the_correlation_page_gathers_an_opaque_id_and_says_what_was_sent(shop, client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    first, second = place(shop, "req-<42>"), place(shop, "req-<42>")
    client.force_login(get_user_model().objects.create_superuser("root", password=None))
    url = reverse("admin:eventstore_event_correlation", args=[uuid.uuid5(NAMESPACE, "req-<42>")])
    page = client.get(url).content.decode()
    assert page.count('class="chronicle-event"') == 2
    assert all(f"order-{r.json()['id']}" in page for r in (first, second))
    assert '<code id="correlation-given">req-&lt;42&gt;</code>' in page
