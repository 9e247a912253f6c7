"""Every 404 of the API has one shape and one wording: a problem document with code
``not_found``, title "Not found", and a detail that says what is missing as
"no <what> <which>", lower case, without a full stop."""

import re
import uuid

import pytest
from django.test import Client

from eventstore.errors import StreamNotFound
from problems.handler import problem_exception_handler
from tests.api.conftest import ADDRESS

pytestmark = pytest.mark.django_db

SHAPE = {"type", "title", "status", "detail", "code"}
WORDING = re.compile(r"^no [a-z]+( [a-zA-Z]+)* \S.*[^.]$")


def assert_not_found(response, *mentions: str) -> None:
    assert response.status_code == 404, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) == SHAPE, body
    assert (body["type"], body["title"], body["status"], body["code"]) == (
        "/problems/not_found",
        "Not found",
        404,
        "not_found",
    )
    assert WORDING.match(body["detail"]), body["detail"]
    for mention in mentions:
        assert mention in body["detail"], (mention, body["detail"])


def test_every_404_of_the_api_has_one_shape_and_wording(shop, staff):
    nobody = str(uuid.uuid4())
    order = shop["alice"].post(
        "/api/orders/",
        {
            "items": [
                {"product_id": str(shop["mug"]), "quantity": 1},
                {"product_id": str(shop["tea"]), "quantity": 1},
            ],
            "shipping_address": ADDRESS,
        },
    )
    order_id = order.json()["id"]
    alice = shop["alice"]
    walk = [
        # unknown paths, and ids that are no UUID
        (staff.get("/api/nothing-here"), "/api/nothing-here"),
        (staff.post("/api/nothing-here"), "/api/nothing-here"),
        (staff.get("/api/orders/not-a-uuid"), "/api/orders/not-a-uuid"),
        # read models
        (staff.get(f"/api/orders/{nobody}"), nobody),
        (staff.get(f"/api/products/{nobody}"), nobody),
        (staff.get(f"/api/products/{nobody}/stock"), nobody),
        (staff.get(f"/api/customers/{nobody}"), nobody),
        (staff.get(f"/api/customers/{nobody}/statistics"), nobody),
        (staff.get("/api/customers/me"),),
        (shop["bob"].get(f"/api/orders/{order_id}"), order_id),
        (staff.get("/api/orders/", page=99), "99"),
        # the order's history, replayed from the store
        (staff.get(f"/api/orders/{nobody}/history"), nobody),
        (staff.get(f"/api/orders/{nobody}/events"), nobody),
        (staff.get(f"/api/orders/{nobody}/state"), nobody),
        (staff.get(f"/api/orders/{order_id}/state", version=99), order_id, "99"),
        (staff.get(f"/api/orders/{order_id}/state", as_of="2000-01-01T00:00:00Z"), order_id),
        # commands
        (alice.post(f"/api/orders/{nobody}/pay", {"payment_id": "p"}), nobody),
        (staff.post(f"/api/products/{nobody}/change-price", {"price": "1.00"}), nobody),
        (staff.post(f"/api/products/{nobody}/receive-stock", {"quantity": 1}), nobody),
        (staff.post(f"/api/customers/{nobody}/change-email", {"email": "x@example.com"}), nobody),
        (alice.post(f"/api/orders/{order_id}/items/{nobody}/remove"), nobody),
    ]
    for response, *mentions in walk:
        assert_not_found(response, *mentions)


def test_a_vanished_stream_reads_as_every_other_404():
    product_id = uuid.uuid4()
    response = problem_exception_handler(StreamNotFound(f"product-{product_id}"), {})
    assert response is not None and response.status_code == 404
    assert set(response.data) == SHAPE and response.data["code"] == "not_found"
    assert response.data["detail"] == f"no product {product_id}"


def test_an_unknown_path_outside_the_api_is_a_problem_for_programs_and_a_page_for_people():
    client = Client()
    assert_not_found(client.get("/nothing-here", HTTP_ACCEPT="application/json"), "/nothing-here")
    page = client.get("/nothing-here", HTTP_ACCEPT="text/html")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
