"""Forgetting a customer (POST /api/customers/{id}/forget): their data key is
destroyed with CustomerForgotten, every read path shows "[erased]", and no table
keeps their personal data (README, "Compliance")."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from knox.models import AuthToken

from eventstore import shredding, store, verification
from eventstore.models import Event, Snapshot
from orders.models import CustomerAccount, EmailClaim
from projections.engine import rebuilding, runner
from projections.engine.projection import all_projections
from tests.api.conftest import ADDRESS, Api, token_for
from tests.fulfillment import run_fulfillment

pytestmark = pytest.mark.django_db(transaction=True)


def caught_up() -> None:
    run_fulfillment()
    while runner.advance(max_batches=100).behind:
        pass


def forget(staff: Api, customer_id) -> object:
    return staff.post(f"/api/customers/{customer_id}/forget")


def _close(staff: Api, orders: dict) -> None:
    assert staff.post(f"/api/orders/{orders['pending']}/cancel", {"reason": "x"}).status_code == 200
    shipped = staff.post(
        f"/api/orders/{orders['ready']}/ship", {"carrier": "DHL", "tracking_number": "T-1"}
    )
    assert shipped.status_code == 200, shipped.content


def test_forgetting_answers_like_a_command_and_is_refused_twice(shop, staff, alices_orders):
    refused = forget(staff, shop["alice_id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "open_orders")
    _close(staff, alices_orders)
    response = forget(staff, shop["alice_id"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "version", "position"}
    assert body["id"] == str(shop["alice_id"])
    (event,) = store.read_stream(f"customer-{shop['alice_id']}", from_version=body["version"])
    assert event.event_type == "CustomerForgotten" and event.position == body["position"]
    assert event.data == {"customer_id": str(shop["alice_id"])}
    again = forget(staff, shop["alice_id"])
    assert (again.status_code, again.json()["code"]) == (409, "already_forgotten")


def test_only_staff_may_forget(shop):
    response = forget(shop["alice"], shop["alice_id"])
    assert response.status_code == 403
    assert forget(Api(), shop["alice_id"]).status_code == 401


def test_a_forgotten_customer_is_erased_everywhere_and_takes_no_commands(
    shop, staff, alices_orders
):
    _close(staff, alices_orders)
    alice_user = CustomerAccount.objects.get(customer_id=shop["alice_id"]).user
    assert forget(staff, shop["alice_id"]).status_code == 200
    caught_up()

    assert shredding.is_destroyed(str(shop["alice_id"]))
    assert not EmailClaim.objects.filter(customer_id=shop["alice_id"]).exists()
    assert not Snapshot.objects.filter(stream_id=f"customer-{shop['alice_id']}").exists()
    alice_user.refresh_from_db()
    assert not alice_user.is_active and alice_user.username == f"forgotten-{shop['alice_id']}"
    assert not AuthToken.objects.filter(user=alice_user).exists()
    assert shop["alice"].get("/api/customers/me").status_code == 401

    changed = staff.post(
        f"/api/customers/{shop['alice_id']}/change-email", {"email": "new@example.com"}
    )
    assert (changed.status_code, changed.json()["code"]) == (409, "customer_forgotten")
    placed = staff.post(
        "/api/orders/",
        {
            "customer_id": str(shop["alice_id"]),
            "items": [{"product_id": str(shop["mug"]), "quantity": 1}],
            "shipping_address": ADDRESS,
        },
    )
    assert (placed.status_code, placed.json()["code"]) == (409, "customer_forgotten")

    order = alices_orders["ready"]
    detail = staff.get(f"/api/orders/{order}").json()
    assert detail["customer_name"] == shredding.ERASED, detail
    assert detail["customer_email"] == detail["customer_phone"] == shredding.ERASED
    assert set(detail["shipping_address"].values()) == {shredding.ERASED}
    state = staff.get(f"/api/orders/{order}/state").json()
    assert "Main St" not in str(state)
    events = staff.get(f"/api/orders/{order}/events").json()
    assert "Main St" not in str(events) and shredding.ERASED in str(events)
    log = staff.get("/api/events/", limit=1000).json()
    assert "alice@example.com" not in str(log) and "bob@example.com" in str(log)
    history = staff.get(f"/api/orders/{order}/history")
    assert history.status_code == 200
    listed = staff.get("/api/orders/").json()
    assert "alice@example.com" not in str(listed)
    # The email is free again: a new customer may use it.
    again = staff.post(
        "/api/customers/", {"name": "Al", "email": "alice@example.com", "phone": "+321"}
    )
    assert again.status_code == 201, again.content
    # Forgetting rewrote nothing: the chain (over the ciphertext) still verifies.
    report = verification.verify()
    assert report.clean and report.events == Event.objects.count(), report.breaks


def test_events_recorded_before_encryption_are_refused(staff):
    customer_id = uuid.uuid4()
    data = {"customer_id": str(customer_id), "name": "Old", "email": "old@x.org", "phone": "1"}
    store.append(
        f"customer-{customer_id}",
        "customer",
        [store.NewEvent("CustomerRegistered", data)],
        store.NO_STREAM,
    )
    response = forget(staff, customer_id)
    assert (response.status_code, response.json()["code"]) == (409, "plaintext_history")
    assert not shredding.is_destroyed(str(customer_id))


def test_an_unknown_customer_is_404(staff):
    assert forget(staff, uuid.uuid4()).status_code == 404


# Every table, every column: nothing of the forgotten customer is left.

ZELDA = {"name": "Zelda Quuxington", "email": "zelda.q@forget.example", "phone": "+99887766"}
ZELDA_ADDRESS = {
    "line1": "77 Shredder Lane",
    "city": "Erasmusburg",
    "postal_code": "ZX-4242",
    "country": "NL",
    "line2": "Flat Qwerty",
}


def _all_text_cells() -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every cell of every table in the database."""
    cells = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = (
                        bytes(value).decode("latin-1")
                        if isinstance(value, bytes | memoryview)
                        else str(value)
                    )
                    cells.append((table, column, text))
    return cells


def test_no_table_keeps_a_forgotten_customers_personal_data(shop, staff):
    registered = staff.post("/api/customers/", ZELDA)
    assert registered.status_code == 201
    zelda = registered.json()["id"]
    user = get_user_model().objects.create_user("zq-login", password="x-pass-987654")
    CustomerAccount.objects.create(user=user, customer_id=zelda)
    zelda_api = Api(token_for(user))
    assert (
        staff.post(f"/api/customers/{zelda}/change-email", {"email": "zelda.new@forget.example"})
    ).status_code == 200

    def place() -> str:
        body = {
            "items": [{"product_id": str(shop["mug"]), "quantity": 1}],
            "shipping_address": ZELDA_ADDRESS,
        }
        response = zelda_api.post("/api/orders/", body)
        assert response.status_code == 201, response.content
        return response.json()["id"]

    cancelled, refunded, shipped = place(), place(), place()
    assert staff.post(f"/api/orders/{cancelled}/cancel", {"reason": "r"}).status_code == 200
    for order in (refunded, shipped):
        assert (
            zelda_api.post(f"/api/orders/{order}/pay", {"payment_id": f"p-{order}"}).status_code
            == 200
        )
    caught_up()
    assert staff.post(f"/api/orders/{refunded}/cancel", {"reason": "r"}).status_code == 200
    ship = staff.post(f"/api/orders/{shipped}/ship", {"carrier": "DHL", "tracking_number": "T9"})
    assert ship.status_code == 200, ship.content
    caught_up()

    needles = [*ZELDA.values(), "zelda.new@forget.example", *ZELDA_ADDRESS.values(), "zq-login"]
    needles.remove("NL")  # a country code is not personal, and matches too much
    before = _all_text_cells()
    assert any(ZELDA["name"].lower() in text.lower() for _, _, text in before)

    assert forget(staff, zelda).status_code == 200, "forget"
    caught_up()
    for projection in all_projections():
        rebuilding.start(projection.name)
    caught_up()

    cells = _all_text_cells()
    found = [
        (table, column, needle)
        for table, column, text in cells
        for needle in needles
        if needle.lower() in text.lower()
    ]
    assert found == []
    assert any(
        "bob@example.com" in text for table, _, text in cells if table.startswith("projections_")
    )


def test_error_texts_and_task_results_lose_the_customers_data(shop, staff, alices_orders):
    from django.utils import timezone
    from django_q.models import Task

    from orders.processes.state import ProcessState
    from projections.models import ProjectionState

    caught_up()
    _close(staff, alices_orders)
    ProjectionState.objects.filter(name="customer_directory").update(
        error="ValueError: cannot store 'ALICE@example.com'", error_traceback="at alice@example.com"
    )
    ProcessState.objects.update_or_create(
        name="fulfillment", defaults={"error": "refused alice@example.com"}
    )
    now = timezone.now()
    Task.objects.create(
        id="t-alice",
        name="t",
        func="x.y",
        args=("alice@example.com",),
        result="failed",
        started=now,
        stopped=now,
        success=False,
    )
    Task.objects.create(
        id="t-bob",
        name="u",
        func="x.y",
        args=("bob@example.com",),
        result="ok",
        started=now,
        stopped=now,
        success=True,
    )
    assert forget(staff, shop["alice_id"]).status_code == 200

    state = ProjectionState.objects.get(name="customer_directory")
    assert "alice@example.com" not in (state.error + state.error_traceback).lower()
    assert shredding.ERASED in state.error
    assert "alice@" not in ProcessState.objects.get(name="fulfillment").error
    assert list(Task.objects.values_list("id", flat=True)) == ["t-bob"]
