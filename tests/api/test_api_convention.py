"""One API convention (API version 2): enumerations in upper case, `id` on every
read model, `Location` on every 201, machine-readable stock shortages, clamped
pages that say so, and stale reads that say so."""

import pytest

from projections.engine import runner
from tests.api.conftest import ADDRESS
from tests.fulfillment import run_fulfillment

pytestmark = pytest.mark.django_db


def caught_up() -> None:
    run_fulfillment()
    while runner.advance(max_batches=100).behind:
        pass


def shipped_order(shop, place_order, staff) -> str:
    order_id = place_order().json()["id"]
    assert shop["alice"].post(f"/api/orders/{order_id}/pay", {"payment_id": "p"}).status_code == 200
    caught_up()
    shipped = staff.post(
        f"/api/orders/{order_id}/ship", {"carrier": "DHL", "tracking_number": "TRK-1"}
    )
    assert shipped.status_code == 200, shipped.content
    caught_up()
    return order_id


# Enumerations


def test_every_enumeration_of_an_order_answers_in_upper_case(shop, place_order, staff):
    order_id = shipped_order(shop, place_order, staff)
    body = staff.get(f"/api/orders/{order_id}").json()
    assert (body["status"], body["fulfillment"]) == ("SHIPPED", "SHIPPED")
    assert body["payment"]["status"] == "PAID"
    assert [line["reservation"] for line in body["lines"]] == ["ISSUED"]
    assert body["shipping"]["shipment_status"] == "SHIPPED"
    listed = staff.get("/api/orders/").json()["results"]
    assert {(row["status"], row["fulfillment"]) for row in listed} == {("SHIPPED", "SHIPPED")}


def test_the_health_check_answers_its_states_in_upper_case(anonymous):
    body = anonymous.get("/healthz").json()
    assert (body["status"], body["database"]) == ("OK", "OK")
    assert {p["state"] for p in body["projections"]} <= {
        "UP_TO_DATE",
        "BEHIND",
        "REBUILDING",
        "FAILING",
    }


@pytest.mark.parametrize("case", [str.upper, str.lower, str.title])
def test_order_filters_accept_either_case(shop, place_order, staff, case):
    shipped = shipped_order(shop, place_order, staff)
    pending = place_order().json()["id"]
    caught_up()

    def ids(**params) -> set[str]:
        response = staff.get("/api/orders/", **params)
        assert response.status_code == 200, response.content
        return {row["order_id"] for row in response.json()["results"]}

    assert ids(status=case("shipped")) == {shipped}
    assert ids(status=case("pending")) == {pending}
    assert ids(fulfillment=case("shipped")) == {shipped}
    assert ids(fulfillment=case("awaiting_payment")) == {pending}


def test_an_unknown_enumeration_value_is_still_refused(staff):
    for params in ({"status": "lost"}, {"fulfillment": "lost"}):
        response = staff.get("/api/orders/", **params)
        assert response.status_code == 400 and response.json()["code"] == "invalid_request"


# Identifiers


def test_every_read_model_answers_its_identifier_as_id(shop, place_order, staff):
    order_id = place_order().json()["id"]
    caught_up()
    order = staff.get(f"/api/orders/{order_id}").json()
    assert order["id"] == order["order_id"] == order_id
    assert staff.get("/api/orders/").json()["results"][0]["id"] == order_id
    mug = str(shop["mug"])
    assert staff.get(f"/api/products/{mug}").json()["id"] == mug
    assert staff.get(f"/api/products/{mug}/stock").json()["id"] == mug
    assert {p["id"] for p in staff.get("/api/products/").json()["results"]} >= {mug}
    assert {p["id"] for p in staff.get("/api/stock/").json()["results"]} >= {mug}
    alice = str(shop["alice_id"])
    assert shop["alice"].get("/api/customers/me").json()["id"] == alice
    assert {c["id"] for c in staff.get("/api/customers/").json()["results"]} >= {alice}
    assert staff.get(f"/api/customers/{alice}/statistics").json()["id"] == alice
    assert staff.get(f"/api/customers/{alice}").json()["id"] == alice


def test_a_customer_reads_its_own_directory_entry_by_id_and_no_other(shop, staff):
    caught_up()
    alice, bob = str(shop["alice_id"]), str(shop["bob_id"])
    assert shop["alice"].get(f"/api/customers/{alice}").json()["email"] == "alice@example.com"
    assert shop["alice"].get(f"/api/customers/{bob}").status_code == 404


# Location


def test_a_created_order_is_located_at_its_read_model_with_its_position(shop, place_order, staff):
    created = place_order()
    body = created.json()
    assert created["Location"] == f"/api/orders/{body['id']}?min_position={body['position']}"
    caught_up()
    followed = shop["alice"].client.get(created["Location"])
    assert followed.status_code == 200 and followed.json()["id"] == body["id"]


def test_created_products_and_customers_are_located_at_their_read_models(staff):
    product = staff.post("/api/products/", {"sku": "LOC-1", "name": "Loc", "price": "1.00"})
    body = product.json()
    assert product["Location"] == f"/api/products/{body['id']}?min_position={body['position']}"
    customer = staff.post(
        "/api/customers/", {"name": "Lou", "email": "lou@example.com", "phone": "1"}
    )
    body = customer.json()
    assert customer["Location"] == f"/api/customers/{body['id']}?min_position={body['position']}"
    caught_up()
    for created in (product, customer):
        assert staff.client.get(created["Location"]).json()["id"] == created.json()["id"]


def test_an_idempotent_replay_answers_the_same_location(shop):
    body = {
        "items": [{"product_id": str(shop["mug"]), "quantity": 1}],
        "shipping_address": ADDRESS,
    }
    first = shop["alice"].post("/api/orders/", body, **{"Idempotency-Key": "k-1"})
    again = shop["alice"].post("/api/orders/", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"] and first["Location"].startswith("/api/orders/")


def test_a_command_that_creates_nothing_has_no_location(shop, place_order):
    order_id = place_order().json()["id"]
    paid = shop["alice"].post(f"/api/orders/{order_id}/pay", {"payment_id": "p"})
    assert paid.status_code == 200 and "Location" not in paid


# Insufficient stock


def test_insufficient_stock_lists_each_short_line_machine_readably(shop, place_order):
    response = place_order(
        items=[
            {"product_id": str(shop["rare"]), "quantity": 3},
            {"product_id": str(shop["mug"]), "quantity": 1},
        ]
    )
    assert response.status_code == 409
    body = response.json()
    assert body["products"] == ["Product RARE-1"]
    assert body["lines"] == [
        {"product_id": str(shop["rare"]), "name": "Product RARE-1", "requested": 3, "available": 1}
    ]


def test_adding_past_the_stock_lists_the_whole_line(shop, place_order):
    order_id = place_order(items=[{"product_id": str(shop["rare"]), "quantity": 1}]).json()["id"]
    response = shop["alice"].post(
        f"/api/orders/{order_id}/items", {"product_id": str(shop["rare"]), "quantity": 1}
    )
    assert response.status_code == 409
    assert response.json()["lines"] == [
        {"product_id": str(shop["rare"]), "name": "Product RARE-1", "requested": 2, "available": 1}
    ]


# Pages


def test_a_page_size_above_100_is_clamped_and_the_links_say_so(staff):
    for n in range(103):
        assert (
            staff.post(
                "/api/products/", {"sku": f"P-{n:03}", "name": f"P {n:03}", "price": "1.00"}
            ).status_code
            == 201
        )
    caught_up()
    first = staff.get("/api/products/", page_size=1000).json()
    assert len(first["results"]) == 100
    assert "page_size=100" in first["next"] and "page_size=1000" not in first["next"]
    second = staff.client.get(first["next"]).json()
    assert len(second["results"]) == 3
    assert "page_size=100" in second["previous"] and "page_size=1000" not in second["previous"]


def test_a_page_size_within_bounds_is_kept_in_the_links(staff):
    for n in range(3):
        staff.post("/api/products/", {"sku": f"Q-{n}", "name": f"Q {n}", "price": "1.00"})
    caught_up()
    assert "page_size=2" in staff.get("/api/products/", page_size=2).json()["next"]


# Stale reads


def test_a_min_position_reached_says_not_stale(shop, place_order):
    created = place_order().json()
    caught_up()
    response = shop["alice"].get(f"/api/orders/{created['id']}", min_position=created["position"])
    assert response.status_code == 200
    assert response["X-Projection-Stale"] == "false"
    assert int(response["X-Projection-Position"]) >= created["position"]


def test_a_min_position_not_reached_in_time_says_stale(shop, place_order, settings):
    settings.READ_YOUR_WRITES_TIMEOUT = 0.05
    caught_up()
    created = place_order(items=[{"product_id": str(shop["tea"]), "quantity": 1}]).json()
    response = shop["alice"].get("/api/orders/", min_position=created["position"])
    assert response.status_code == 200
    assert response["X-Projection-Stale"] == "true"
    assert int(response["X-Projection-Position"]) < created["position"]


def test_a_min_position_past_the_head_says_stale(shop):
    caught_up()
    response = shop["alice"].get(f"/api/products/{shop['mug']}", min_position=10**12)
    assert response.status_code == 200 and response["X-Projection-Stale"] == "true"


def test_a_read_without_min_position_is_not_stale(shop):
    response = shop["alice"].get("/api/products/")
    assert response["X-Projection-Stale"] == "false" and "X-Projection-Position" in response
