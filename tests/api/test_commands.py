"""Every row of the command contract, through the DRF test client."""

import uuid

import pytest

from eventstore.models import Event
from orders.repositories import orders
from tests.api.conftest import ADDRESS, Api
from tests.fulfillment import run_fulfillment

pytestmark = pytest.mark.django_db


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["type"] == f"/problems/{code}"
    assert body["title"] and body["detail"]
    return body


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"id", "version", "position"}
    assert response["ETag"] == f'"{body["version"]}"'
    return body


# Success rows


def test_staff_registers_a_customer_with_a_login_that_can_then_get_a_token(staff, anonymous):
    body = ok(
        staff.post(
            "/api/customers/",
            {
                "name": "Cy",
                "email": "cy@example.com",
                "phone": "1",
                "username": "cy",
                "password": "a-long-pass-456",
            },
        ),
        201,
    )
    assert body["version"] == 1
    token = anonymous.post("/api/auth/token/", {"username": "cy", "password": "a-long-pass-456"})
    assert token.status_code == 200 and token.json()["token"]
    cy = Api(token.json()["token"])
    assert (
        ok(cy.post(f"/api/customers/{body['id']}/change-email", {"email": "cy@new.example"}))[
            "version"
        ]
        == 2
    )


def test_bad_credentials_get_invalid_credentials(anonymous, staff_user):
    problem(
        anonymous.post("/api/auth/token/", {"username": "staff", "password": "wrong"}),
        400,
        "invalid_credentials",
    )


def test_staff_adds_a_product_changes_its_price_and_receives_stock(staff):
    product = ok(
        staff.post(
            "/api/products/",
            {
                "sku": "CUP-1",
                "name": "Cup",
                "price": "3.00",
                "image_url": "https://img.example/cup.png",
            },
        ),
        201,
    )
    assert (
        ok(staff.post(f"/api/products/{product['id']}/change-price", {"price": "3.50"}))["version"]
        == 2
    )
    assert (
        ok(staff.post(f"/api/products/{product['id']}/receive-stock", {"quantity": 7}))["version"]
        == 1
    )


def test_an_order_goes_through_items_payment_and_shipping(shop, place_order, staff):
    order = ok(
        place_order(
            items=[
                {"product_id": str(shop["mug"]), "quantity": 1},
                {"product_id": str(shop["tea"]), "quantity": 1},
            ]
        ),
        201,
    )
    path = f"/api/orders/{order['id']}"
    alice = shop["alice"]
    assert (
        ok(alice.post(f"{path}/items", {"product_id": str(shop["mug"]), "quantity": 2}))["version"]
        == 2
    )
    assert ok(alice.post(f"{path}/items/{shop['tea']}/remove"))["version"] == 3
    assert ok(alice.post(f"{path}/pay", {"payment_id": "pay-1"}))["version"] == 4
    run_fulfillment()  # reserves the stock: ready to ship
    shipped = ok(staff.post(f"{path}/ship", {"carrier": "DHL", "tracking_number": "TR-1"}))
    assert (
        shipped["version"] == 6 and shipped["position"] == Event.objects.latest("position").position
    )
    types = list(
        Event.objects.filter(stream_id=f"order-{order['id']}").values_list("event_type", flat=True)
    )
    assert types == [
        "OrderCreated",
        "ItemAddedToOrder",
        "ItemRemovedFromOrder",
        "OrderPaid",
        "OrderReadyToShip",
        "OrderShipped",
    ]


def test_the_owner_cancels_a_pending_order(shop, place_order):
    order = ok(place_order(), 201)
    assert (
        ok(shop["alice"].post(f"/api/orders/{order['id']}/cancel", {"reason": "changed my mind"}))[
            "version"
        ]
        == 2
    )


def test_staff_creates_an_order_for_a_customer(shop, place_order, staff):
    order = ok(place_order(client=staff, customer_id=str(shop["bob_id"])), 201)
    created = Event.objects.get(stream_id=f"order-{order['id']}")
    assert created.data["customer_id"] == str(shop["bob_id"])
    assert created.data["order_number"].startswith("ORD-") and created.data["total"] == "25.00"


# Error rows


def test_unauthenticated_requests_get_401_with_a_token_challenge(anonymous, shop):
    response = anonymous.post("/api/orders/", {})
    problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    problem(
        Api("not-a-token").post(f"/api/products/{shop['mug']}/change-price", {"price": "1.00"}),
        401,
        "not_authenticated",
    )


@pytest.mark.parametrize(
    "path_body",
    [
        ("/api/customers/", {"name": "X", "email": "x@example.com", "phone": "1"}),
        ("/api/products/", {"sku": "S", "name": "N", "price": "1.00"}),
        ("/api/products/{mug}/change-price", {"price": "1.00"}),
        ("/api/products/{mug}/receive-stock", {"quantity": 1}),
        ("/api/customers/{bob_id}/change-email", {"email": "b@example.com"}),
    ],
)
def test_a_customer_on_a_staff_only_endpoint_or_for_another_customer_gets_403(shop, path_body):
    path, body = path_body
    before = Event.objects.count()
    problem(shop["alice"].post(path.format(**shop), body), 403, "permission_denied")
    assert Event.objects.count() == before


def test_a_customer_ordering_for_another_customer_gets_403(shop, place_order):
    problem(place_order(customer_id=str(shop["bob_id"])), 403, "permission_denied")


def test_a_customer_cannot_ship(shop, place_order):
    order = ok(place_order(), 201)
    problem(
        shop["alice"].post(
            f"/api/orders/{order['id']}/ship", {"carrier": "x", "tracking_number": "y"}
        ),
        403,
        "permission_denied",
    )


def test_another_customers_order_is_not_revealed(shop, place_order):
    order = ok(place_order(), 201)
    for action, body in [
        ("pay", {"payment_id": "p"}),
        ("cancel", {"reason": "r"}),
        ("items", {"product_id": str(shop["tea"]), "quantity": 1}),
    ]:
        problem(shop["bob"].post(f"/api/orders/{order['id']}/{action}", body), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/orders/{unknown}/pay",
        "/api/orders/not-a-uuid/pay",
        "/api/products/{unknown}/change-price",
        "/api/customers/{unknown}/change-email",
        "/api/no-such-thing",
        "/api/orders/{order}/items/{unknown}/remove",
    ],
)
def test_unknown_ids_and_paths_get_404_problems(shop, place_order, staff, path):
    order = ok(place_order(), 201)
    response = staff.post(
        path.format(unknown=uuid.uuid4(), order=order["id"]),
        {"payment_id": "p", "price": "1.00", "email": "a@b.example"},
    )
    problem(response, 404, "not_found")


INVALID_ORDERS = [
    ({"items": [{"product_id": "{mug}", "quantity": 0}]}, "items.0.quantity"),
    ({"items": [{"product_id": "{mug}", "quantity": 1001}]}, "items.0.quantity"),
    ({"items": [{"product_id": "{mug}", "quantity": "2"}]}, "items.0.quantity"),
    ({"items": [{"product_id": "nope", "quantity": 1}]}, "items.0.product_id"),
    ({"items": [{"product_id": "{unknown}", "quantity": 1}]}, "items.0.product_id"),
    ({"items": []}, "items"),
    (
        {"items": [{"product_id": "{mug}", "quantity": 1}], "shipping_address": {"city": "Ghent"}},
        "shipping_address.line1",
    ),
    (
        {"items": [{"product_id": "{mug}", "quantity": 1}], "customer_id": "{unknown}"},
        "customer_id",
    ),
]


@pytest.mark.parametrize("body, field", INVALID_ORDERS)
def test_invalid_orders_get_400_naming_the_field_and_store_nothing(shop, staff, body, field):
    filled = {"customer_id": str(shop["alice_id"]), "shipping_address": ADDRESS}
    for key, value in body.items():
        filled[key] = value
    text = (
        str(filled)
        .replace("'", '"')
        .replace("{mug}", str(shop["mug"]))
        .replace("{unknown}", str(uuid.uuid4()))
    )
    before = Event.objects.count()
    body = problem(staff.raw("/api/orders/", text), 400, "invalid_request")
    assert field in [e["field"] for e in body["errors"]]
    assert Event.objects.count() == before


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_malformed_json_gets_400(staff, content):
    problem(staff.raw("/api/orders/", content), 400, "invalid_request")


def test_a_form_encoded_body_gets_415(staff):
    problem(
        staff.raw("/api/orders/", "items=1", "application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/products/", {"sku": "S", "name": "N", "price": "0.00"}, "price"),
        ("/api/products/", {"sku": "S", "name": "N", "price": "-1.00"}, "price"),
        ("/api/products/", {"sku": "S", "name": "N", "price": 1.5}, "price"),
        ("/api/products/", {"sku": 5, "name": "N", "price": "1.00"}, "sku"),
        ("/api/customers/", {"name": "N", "email": "not-an-email", "phone": "1"}, "email"),
        ("/api/customers/", {"name": "N\x00", "email": "n@example.com", "phone": "1"}, "name"),
        ("/api/products/{mug}/receive-stock", {"quantity": -3}, "quantity"),
    ],
)
def test_invalid_values_get_400(shop, staff, path, body, field):
    response = problem(staff.post(path.format(**shop), body), 400, "invalid_request")
    assert field in [e["field"] for e in response["errors"]]


def test_paying_twice_is_order_not_pending(shop, place_order):
    order = ok(place_order(), 201)
    ok(shop["alice"].post(f"/api/orders/{order['id']}/pay", {"payment_id": "p"}))
    for action, body in [
        ("pay", {"payment_id": "p"}),
        ("items", {"product_id": str(shop["tea"]), "quantity": 1}),
    ]:
        problem(
            shop["alice"].post(f"/api/orders/{order['id']}/{action}", body),
            409,
            "order_not_pending",
        )


def test_shipping_an_unpaid_order_and_cancelling_a_shipped_one_are_invalid_transitions(
    shop, place_order, staff
):
    order = ok(place_order(), 201)
    path = f"/api/orders/{order['id']}"
    problem(
        staff.post(f"{path}/ship", {"carrier": "c", "tracking_number": "t"}),
        409,
        "invalid_transition",
    )
    ok(staff.post(f"{path}/pay", {"payment_id": "p"}))
    run_fulfillment()
    ok(staff.post(f"{path}/ship", {"carrier": "c", "tracking_number": "t"}))
    problem(staff.post(f"{path}/cancel", {"reason": "late"}), 409, "invalid_transition")


def test_shipping_a_paid_order_before_its_stock_is_reserved_is_not_ready_to_ship(
    shop, place_order, staff
):
    order = ok(place_order(), 201)
    path = f"/api/orders/{order['id']}"
    ok(staff.post(f"{path}/pay", {"payment_id": "p"}))
    before = Event.objects.count()
    problem(
        staff.post(f"{path}/ship", {"carrier": "c", "tracking_number": "t"}),
        409,
        "not_ready_to_ship",
    )
    assert Event.objects.count() == before
    run_fulfillment()
    assert ok(staff.post(f"{path}/ship", {"carrier": "c", "tracking_number": "t"}))["version"] == 4


def test_more_than_ten_lines_is_too_many_items(shop, staff, place_order):
    products = [
        ok(staff.post("/api/products/", {"sku": f"P{i}", "name": f"P{i}", "price": "1.00"}), 201)[
            "id"
        ]
        for i in range(11)
    ]
    for product in products:
        ok(staff.post(f"/api/products/{product}/receive-stock", {"quantity": 5}))
    problem(
        place_order(items=[{"product_id": p, "quantity": 1} for p in products]),
        409,
        "too_many_items",
    )
    order = ok(place_order(items=[{"product_id": p, "quantity": 1} for p in products[:10]]), 201)
    problem(
        shop["alice"].post(
            f"/api/orders/{order['id']}/items", {"product_id": products[10], "quantity": 1}
        ),
        409,
        "too_many_items",
    )


def test_repeated_lines_of_one_product_may_not_merge_past_the_line_bound(shop, staff, place_order):
    ok(staff.post(f"/api/products/{shop['mug']}/receive-stock", {"quantity": 20_000}))
    mug = str(shop["mug"])
    before = Event.objects.count()
    body = problem(
        place_order(items=[{"product_id": mug, "quantity": 1000}] * 20), 409, "quantity_too_large"
    )
    assert "1000" in body["detail"]
    assert Event.objects.count() == before
    # Up to the bound, repeated lines merge into one.
    order = ok(place_order(items=[{"product_id": mug, "quantity": 500}] * 2), 201)
    assert orders.load(uuid.UUID(order["id"])).lines[0].quantity == 1000


def test_adding_to_a_line_may_not_take_it_past_the_line_bound(shop, staff, place_order):
    ok(staff.post(f"/api/products/{shop['mug']}/receive-stock", {"quantity": 20_000}))
    mug = str(shop["mug"])
    order = ok(place_order(items=[{"product_id": mug, "quantity": 600}]), 201)
    path = f"/api/orders/{order['id']}/items"
    problem(
        shop["alice"].post(path, {"product_id": mug, "quantity": 600}), 409, "quantity_too_large"
    )
    assert ok(shop["alice"].post(path, {"product_id": mug, "quantity": 400}))["version"] == 2


def test_removing_the_only_line_is_last_item(shop, place_order):
    order = ok(place_order(), 201)
    problem(
        shop["alice"].post(f"/api/orders/{order['id']}/items/{shop['mug']}/remove"),
        409,
        "last_item",
    )


def test_ordering_more_than_the_stock_is_insufficient_stock_naming_the_product(shop, place_order):
    body = problem(
        place_order(items=[{"product_id": str(shop["rare"]), "quantity": 2}]),
        409,
        "insufficient_stock",
    )
    assert "Product RARE-1" in body["detail"]
    order = ok(place_order(), 201)
    problem(
        shop["alice"].post(
            f"/api/orders/{order['id']}/items", {"product_id": str(shop["rare"]), "quantity": 2}
        ),
        409,
        "insufficient_stock",
    )


def test_a_second_product_with_the_same_sku_is_duplicate_sku(staff):
    ok(staff.post("/api/products/", {"sku": "DUP", "name": "One", "price": "1.00"}), 201)
    before = Event.objects.count()
    problem(
        staff.post("/api/products/", {"sku": "DUP", "name": "Two", "price": "2.00"}),
        409,
        "duplicate_sku",
    )
    assert Event.objects.count() == before


# Check order: 401, 404, 403, 400, 412, 409


def test_checks_run_in_the_contracts_order(shop, place_order, anonymous, staff):
    order = ok(place_order(), 201)
    path = f"/api/orders/{order['id']}"
    bad = {"carrier": 5}
    problem(anonymous.post(f"/api/orders/{uuid.uuid4()}/ship", bad), 401, "not_authenticated")
    problem(shop["alice"].post(f"/api/orders/{uuid.uuid4()}/ship", bad), 404, "not_found")
    problem(shop["alice"].post(f"{path}/ship", bad), 403, "permission_denied")
    problem(staff.post(f"{path}/ship", bad, **{"If-Match": '"9"'}), 400, "invalid_request")
    problem(
        staff.post(f"{path}/ship", {"carrier": "c", "tracking_number": "t"}, **{"If-Match": '"9"'}),
        412,
        "version_mismatch",
    )
    problem(
        staff.post(f"{path}/ship", {"carrier": "c", "tracking_number": "t"}, **{"If-Match": '"1"'}),
        409,
        "invalid_transition",
    )


# If-Match


def test_a_stale_if_match_gets_412_with_the_current_version(shop, place_order):
    order = ok(place_order(), 201)
    path = f"/api/orders/{order['id']}/pay"
    body = problem(
        shop["alice"].post(path, {"payment_id": "p"}, **{"If-Match": '"2"'}),
        412,
        "version_mismatch",
    )
    assert body["current_version"] == 1
    assert Event.objects.filter(stream_id=f"order-{order['id']}").count() == 1
    assert (
        ok(shop["alice"].post(path, {"payment_id": "p"}, **{"If-Match": 'W/"1"'}))["version"] == 2
    )


def test_a_malformed_if_match_is_400(shop, place_order):
    order = ok(place_order(), 201)
    problem(
        shop["alice"].post(
            f"/api/orders/{order['id']}/pay", {"payment_id": "p"}, **{"If-Match": "one"}
        ),
        400,
        "invalid_request",
    )


def test_if_match_is_ignored_on_creates(place_order):
    ok(place_order(**{}), 201)


# Idempotency


def test_a_repeated_idempotency_key_replays_the_first_response_and_appends_nothing(
    shop, place_order
):
    body = {"items": [{"product_id": str(shop["mug"]), "quantity": 1}], "shipping_address": ADDRESS}
    first = shop["alice"].post("/api/orders/", body, **{"Idempotency-Key": "k-1"})
    count = Event.objects.count()
    again = shop["alice"].post("/api/orders/", body, **{"Idempotency-Key": "k-1"})
    assert (again.status_code, again.json(), again["ETag"]) == (201, first.json(), first["ETag"])
    assert Event.objects.count() == count


def test_the_same_idempotency_key_with_another_request_is_422(shop):
    alice = shop["alice"]
    body = {"items": [{"product_id": str(shop["mug"]), "quantity": 1}], "shipping_address": ADDRESS}
    ok(alice.post("/api/orders/", body, **{"Idempotency-Key": "k-2"}), 201)
    body["items"][0]["quantity"] = 2
    problem(
        alice.post("/api/orders/", body, **{"Idempotency-Key": "k-2"}),
        422,
        "idempotency_key_reused",
    )


def test_a_refused_command_stores_no_response_so_its_retry_runs_again(shop, place_order, staff):
    order = ok(place_order(), 201)
    path = f"/api/orders/{order['id']}/ship"
    body = {"carrier": "c", "tracking_number": "t"}
    problem(staff.post(path, body, **{"Idempotency-Key": "k-3"}), 409, "invalid_transition")
    ok(staff.post(f"/api/orders/{order['id']}/pay", {"payment_id": "p"}))
    run_fulfillment()
    assert ok(staff.post(path, body, **{"Idempotency-Key": "k-3"}))["version"] == 4


def test_a_response_stored_for_a_key_commits_with_the_events_or_neither_does(
    shop, place_order, monkeypatch
):
    from orders import idempotency
    from orders.models import IdempotencyRecord

    order = ok(place_order(), 201)
    count = Event.objects.count()

    def complete_fails(user_id, key, response):
        assert Event.objects.count() == count + 1, "the events are saved, not yet committed"
        raise RuntimeError("disk full")

    monkeypatch.setattr(idempotency, "complete", complete_fails)
    with pytest.raises(RuntimeError, match="disk full"):
        shop["alice"].post(
            f"/api/orders/{order['id']}/pay", {"payment_id": "p"}, **{"Idempotency-Key": "k-9"}
        )
    assert Event.objects.count() == count
    assert not IdempotencyRecord.objects.filter(key="k-9").exists()


def test_an_idempotency_key_still_in_flight_is_409(shop, place_order):
    from django.utils import timezone

    from orders import idempotency
    from orders.models import CustomerAccount, IdempotencyRecord

    order = ok(place_order(), 201)
    path = f"/api/orders/{order['id']}/pay"
    account = CustomerAccount.objects.get(customer_id=shop["alice_id"])
    IdempotencyRecord.objects.create(
        user_id=account.user_id,
        key="k-4",
        fingerprint=idempotency.fingerprint(account.user_id, "POST", path, {"payment_id": "p"}),
        created_at=timezone.now(),
    )
    problem(
        shop["alice"].post(path, {"payment_id": "p"}, **{"Idempotency-Key": "k-4"}),
        409,
        "idempotency_key_in_use",
    )


def test_the_same_idempotency_key_from_two_users_is_two_independent_requests(shop, staff):
    def order_for(client, customer_id=None):
        body = {
            "items": [{"product_id": str(shop["mug"]), "quantity": 1}],
            "shipping_address": ADDRESS,
        }
        if customer_id:
            body["customer_id"] = str(customer_id)
        return client.post("/api/orders/", body, **{"Idempotency-Key": "shared-key"})

    alices = ok(order_for(shop["alice"]), 201)
    bobs = ok(order_for(shop["bob"]), 201)
    # Staff sending Alice's very request under the same key is a request of its own too.
    staffs = ok(order_for(staff, shop["alice_id"]), 201)
    assert len({alices["id"], bobs["id"], staffs["id"]}) == 3
    # Each sender's key still replays that sender's own first response.
    assert ok(order_for(shop["bob"]), 201) == bobs


def test_a_key_another_user_claimed_first_does_not_block_yours(shop, place_order):
    order = ok(place_order(), 201)
    # Bob claims the key Alice is about to use, on a request of his own.
    bobs = shop["bob"].post(
        "/api/orders/",
        {"items": [{"product_id": str(shop["tea"]), "quantity": 1}], "shipping_address": ADDRESS},
        **{"Idempotency-Key": "alices-key"},
    )
    ok(bobs, 201)
    paid = shop["alice"].post(
        f"/api/orders/{order['id']}/pay", {"payment_id": "p"}, **{"Idempotency-Key": "alices-key"}
    )
    assert ok(paid)["version"] == 2


# Paths and correlation


@pytest.mark.parametrize("slash", ["", "/"])
def test_a_trailing_slash_is_optional_without_redirects(shop, place_order, slash):
    order = ok(place_order(), 201)
    assert (
        ok(shop["alice"].post(f"/api/orders/{order['id']}/pay{slash}", {"payment_id": "p"}))[
            "version"
        ]
        == 2
    )
    assert shop["alice"].post("/api/orders" + slash, {}).status_code == 400


def test_the_correlation_id_is_taken_from_the_request_and_echoed(shop, place_order):
    correlation = str(uuid.uuid4())
    response = shop["alice"].post(
        "/api/orders/",
        {"items": [{"product_id": str(shop["mug"]), "quantity": 1}], "shipping_address": ADDRESS},
        **{"X-Correlation-ID": correlation},
    )
    assert response["X-Correlation-ID"] == correlation
    event = Event.objects.get(stream_id=f"order-{response.json()['id']}")
    assert str(event.correlation_id) == correlation
    assert event.metadata["command"] == "CreateOrder" and event.metadata["command_id"]


def test_a_new_correlation_id_is_made_when_none_is_sent(place_order):
    response = place_order()
    assert uuid.UUID(response["X-Correlation-ID"])
