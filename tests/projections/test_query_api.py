"""The read-model query API over HTTP (DRF test client)."""

import uuid

import pytest
from rest_framework.test import APIClient

from projections.engine import freshness
from projections.models import ProjectionState
from tests.projections.conftest import catch_up


@pytest.fixture
def orders(shop):
    """Alice has three orders, Bob one."""
    alice, bob = shop.customer("Alice"), shop.customer("Bob", email="BOB@Example.com")
    mug, tea = shop.product("MUG", "12.50"), shop.product("TEA", "4.20")
    ids = {
        "small": shop.order(alice, (tea, 1)),
        "big": shop.order(alice, (mug, 4)),
        "paid": shop.order(alice, (mug, 1)),
        "bobs": shop.order(bob, (tea, 2)),
    }
    shop.pay(ids["paid"])
    catch_up()
    return {"alice": alice, "bob": bob, "mug": mug, **ids}


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["order_number"] for row in response.json()["results"]]


def test_staff_list_every_order_newest_first(orders, staff):
    body = staff.get("/api/orders/").json()

    assert body["count"] == 4
    assert set(body) == {"count", "next", "previous", "results"}
    assert [row["order_number"] for row in body["results"]] == [
        "ORD-000004",
        "ORD-000003",
        "ORD-000002",
        "ORD-000001",
    ]
    paid = body["results"][1]
    assert paid["status"] == "PAID"
    assert (paid["total_amount"], paid["currency"], paid["item_count"], paid["version"]) == (
        "12.50",
        "EUR",
        1,
        2,
    )
    assert paid["created_at"].endswith("Z") or "+" in paid["created_at"]


def test_a_customer_lists_only_their_own_orders(orders, login_for):
    alice = login_for(orders["alice"])
    assert numbers(alice.get("/api/orders")) == ["ORD-000003", "ORD-000002", "ORD-000001"]
    assert numbers(alice.get("/api/orders/", customer_id=str(orders["bob"]))) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "PAID"}, ["ORD-000003"]),
        ({"customer_email": "bob@EXAMPLE"}, ["ORD-000004"]),
        ({"min_amount": "10", "max_amount": "12.50"}, ["ORD-000003"]),
        ({"ordering": "total_amount"}, ["ORD-000001", "ORD-000004", "ORD-000003", "ORD-000002"]),
        ({"ordering": "-total_amount"}, ["ORD-000002", "ORD-000003", "ORD-000004", "ORD-000001"]),
    ],
)
def test_filters_and_ordering(orders, staff, params, expected):
    assert numbers(staff.get("/api/orders/", **params)) == expected


def test_filter_by_customer_and_creation_time(orders, staff):
    rows = staff.get("/api/orders/", ordering="created_at").json()["results"]
    second = rows[1]["created_at"]

    assert numbers(
        staff.get("/api/orders/", customer_id=str(orders["alice"]), ordering="created_at")
    ) == [
        "ORD-000001",
        "ORD-000002",
        "ORD-000003",
    ]
    after = numbers(staff.get("/api/orders/", created_after=second, ordering="created_at"))
    assert after[0] == "ORD-000002"
    assert numbers(staff.get("/api/orders/", created_before=second)) == ["ORD-000001"]


def test_equal_sort_keys_are_ordered_by_order_number(shop, staff):
    alice = shop.customer()
    mug = shop.product("MUG", "5.00")
    for _ in range(3):
        shop.order(alice, (mug, 1))
    catch_up()
    assert numbers(staff.get("/api/orders/", ordering="-total_amount")) == [
        "ORD-000001",
        "ORD-000002",
        "ORD-000003",
    ]


def test_pages_are_clamped_to_a_hundred_and_a_page_past_the_end_is_404(shop, staff):
    alice = shop.customer()
    mug = shop.product("MUG", "5.00")
    for _ in range(101):
        shop.order(alice, (mug, 1))
    catch_up()

    assert len(staff.get("/api/orders/").json()["results"]) == 20
    page = staff.get("/api/orders/", page_size=500).json()
    assert (len(page["results"]), page["previous"]) == (100, None)
    assert "page=2" in page["next"]
    missing = staff.get("/api/orders/", page=3, page_size=100)
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert missing.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "LOST"},
        {"min_amount": "lots"},
        {"ordering": "customer_name"},
        {"created_after": "soon"},
    ],
)
def test_malformed_filters_are_400_problems(orders, staff, params):
    response = staff.get("/api/orders/", **params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response.json()["errors"][0]["field"] == next(iter(params))


def test_queries_need_authentication(orders):
    response = APIClient().get("/api/orders/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_order_details_carry_lines_payment_shipping_timeline_and_etag(orders, staff):
    response = staff.get(f"/api/orders/{orders['paid']}")

    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    body = response.json()
    assert body["lines"][0]["unit_price"] == "12.50"
    assert body["lines"][0]["line_total"] == "12.50"
    assert body["payment"] == {"status": "PAID", "payment_id": "pay-1"}
    assert body["shipping"] == {
        "carrier": "",
        "tracking_number": "",
        "shipment_id": None,
        "shipment_reference": "",
        "shipment_status": "",
    }
    assert body["fulfillment"] == "RESERVING" and body["lines"][0]["reservation"] is None
    assert body["shipping_address"]["city"] == "Ghent"
    assert [entry["event_type"] for entry in body["timeline"]] == ["OrderCreated", "OrderPaid"]
    assert body["timeline"][0]["occurred_at"] == body["created_at"]
    assert {"customer_phone", "customer_email", "version", "order_number"} <= set(body)


def test_another_customers_order_is_not_found(orders, login_for):
    bob = login_for(orders["bob"])
    assert bob.get(f"/api/orders/{orders['paid']}").status_code == 404
    assert bob.get(f"/api/orders/{orders['bobs']}/").status_code == 200


def test_unknown_and_malformed_ids_are_404_problems(orders, staff):
    assert staff.get(f"/api/orders/{uuid.uuid4()}").json()["code"] == "not_found"
    response = staff.get("/api/orders/not-a-uuid")
    assert (response.status_code, response["Content-Type"]) == (404, "application/problem+json")


def test_statistics_are_for_staff_and_the_customer_themselves(orders, staff, login_for):
    path = f"/api/customers/{orders['alice']}/statistics"
    body = staff.get(path).json()
    assert (body["orders_placed"], body["orders_paid"], body["total_spent"]) == (3, 1, "12.50")
    assert body["average_order_value"] == "12.50"
    assert login_for(orders["alice"]).get(path).status_code == 200
    assert login_for(orders["bob"]).get(path).status_code == 404
    assert staff.get(f"/api/customers/{uuid.uuid4()}/statistics").status_code == 404


def test_a_customer_reads_their_own_directory_entry(orders, staff, login_for):
    me = login_for(orders["alice"]).get("/api/customers/me")
    assert me.status_code == 200
    assert (me.json()["name"], me.json()["customer_id"]) == ("Alice", str(orders["alice"]))
    assert staff.get("/api/customers/me").status_code == 404


def test_only_staff_list_the_directory(orders, staff, login_for):
    body = staff.get("/api/customers/").json()
    assert [row["name"] for row in body["results"]] == ["Alice", "Bob"]
    denied = login_for(orders["alice"]).get("/api/customers/", min_position="x")
    assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")


def test_everyone_authenticated_reads_the_catalog(orders, login_for):
    alice = login_for(orders["alice"])
    products = alice.get("/api/products").json()["results"]
    assert [(p["sku"], p["price"], p["currency"]) for p in products] == [
        ("MUG", "12.50", "EUR"),
        ("TEA", "4.20", "EUR"),
    ]
    mug = alice.get(f"/api/products/{orders['mug']}/")
    assert (mug.status_code, mug.json()["available_stock"]) == (200, 0)
    assert alice.get(f"/api/products/{uuid.uuid4()}").status_code == 404


def test_every_read_model_response_says_how_far_its_projection_is(orders, staff):
    position = str(ProjectionState.objects.get(name="order_details").position)
    assert staff.get(f"/api/orders/{orders['paid']}")["X-Projection-Position"] == position
    assert staff.get("/api/orders/")["X-Projection-Position"] == position
    assert staff.get(f"/api/orders/{uuid.uuid4()}")["X-Projection-Position"] == position


def test_min_position_waits_until_the_write_is_projected(orders, shop, staff, monkeypatch):
    shop.pay(orders["big"], "pay-9")
    written = shop.last.position
    polls = []

    def runner_gets_a_turn(seconds):  # the projector runs while the query waits
        polls.append(seconds)
        catch_up()

    monkeypatch.setattr(freshness, "sleep", runner_gets_a_turn)
    response = staff.get(f"/api/orders/{orders['big']}", min_position=written)

    assert response.json()["status"] == "PAID"
    assert int(response["X-Projection-Position"]) >= written
    assert len(polls) == 1


def test_without_min_position_a_query_answers_at_once_with_what_is_there(
    orders, shop, staff, monkeypatch
):
    monkeypatch.setattr(freshness, "sleep", lambda s: pytest.fail("must not wait"))
    shop.pay(orders["big"])
    assert staff.get(f"/api/orders/{orders['big']}").json()["status"] == "PENDING"


def test_an_order_not_projected_within_the_timeout_is_404(
    orders, shop, staff, settings, monkeypatch
):
    settings.READ_YOUR_WRITES_TIMEOUT = 0.05
    order_id = shop.order(orders["alice"], (orders["mug"], 1))
    response = staff.get(f"/api/orders/{order_id}", min_position=shop.last.position)
    assert response.status_code == 404


@pytest.mark.parametrize("bad", ["soon", "-1", "²", str(2**63)])
def test_a_malformed_min_position_is_400_after_the_404_check(orders, staff, bad):
    assert staff.get(f"/api/orders/{uuid.uuid4()}", min_position=bad).status_code == 404
    response = staff.get(f"/api/orders/{orders['paid']}", min_position=bad)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "min_position", "message": "must be a non-negative integer"}
    ]
