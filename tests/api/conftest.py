"""Clients and a small shop for the HTTP tests."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from orders.models import CustomerAccount
from projections.engine import runner
from tests.fulfillment import run_fulfillment


class Api:
    """A DRF test client that speaks JSON and remembers nothing between calls."""

    def __init__(self, token: str | None = None) -> None:
        self.client = APIClient()
        if token:
            self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def post(self, path: str, body=None, **headers):
        return self.client.post(
            path, body if body is not None else {}, format="json", headers=headers
        )

    def get(self, path: str, **params):
        headers = params.pop("headers", {})
        return self.client.get(path, params, headers=headers)

    def raw(self, path: str, content: str, content_type: str = "application/json", **headers):
        return self.client.post(path, content, content_type=content_type, headers=headers)


def token_for(user) -> str:
    """A new API token of ``user``, as a login would give."""
    _, token = AuthToken.objects.create(user=user)
    return token


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user("staff", password="staff-pass-123", is_staff=True)


@pytest.fixture
def staff(staff_user) -> Api:
    return Api(token_for(staff_user))


@pytest.fixture
def anonymous() -> Api:
    return Api()


@pytest.fixture
def shop(staff):
    """Two customers with logins, two products in stock."""

    def customer(name: str) -> tuple[uuid.UUID, Api]:
        r = staff.post(
            "/api/customers/",
            {"name": name, "email": f"{name}@example.com", "phone": "+3212345678"},
        )
        assert r.status_code == 201, r.content
        customer_id = uuid.UUID(r.json()["id"])
        user = get_user_model().objects.create_user(f"{name}-login", password="x-pass-987654")
        CustomerAccount.objects.create(user=user, customer_id=customer_id)
        return customer_id, Api(token_for(user))

    def product(sku: str, price: str, stock: int) -> uuid.UUID:
        r = staff.post("/api/products/", {"sku": sku, "name": f"Product {sku}", "price": price})
        assert r.status_code == 201, r.content
        product_id = uuid.UUID(r.json()["id"])
        if stock:
            assert (
                staff.post(
                    f"/api/products/{product_id}/receive-stock", {"quantity": stock}
                ).status_code
                == 200
            )
        return product_id

    alice_id, alice = customer("alice")
    bob_id, bob = customer("bob")
    return {
        "alice_id": alice_id,
        "alice": alice,
        "bob_id": bob_id,
        "bob": bob,
        "mug": product("MUG-1", "12.50", 100),
        "tea": product("TEA-1", "4.20", 100),
        "rare": product("RARE-1", "99.00", 1),
    }


ADDRESS = {"line1": "1 Main St", "city": "Ghent", "postal_code": "9000", "country": "BE"}


@pytest.fixture
def place_order(shop):
    def place(client: Api | None = None, items=None, **extra):
        client = client or shop["alice"]
        body = {
            "items": items or [{"product_id": str(shop["mug"]), "quantity": 2}],
            "shipping_address": ADDRESS,
            **extra,
        }
        return client.post("/api/orders/", body)

    return place


@pytest.fixture
def alices_orders(shop, place_order):
    """Alice's pending two-line order (mug and tea) and her paid one with its stock
    reserved (ready to ship), every projection caught up to them."""

    def placed(*products) -> str:
        response = place_order(items=[{"product_id": str(p), "quantity": 1} for p in products])
        assert response.status_code == 201, response.content
        return response.json()["id"]

    pending, ready = placed(shop["mug"], shop["tea"]), placed(shop["mug"])
    assert (
        shop["alice"].post(f"/api/orders/{ready}/pay", {"payment_id": "pay-1"}).status_code == 200
    )
    run_fulfillment()
    while runner.advance(max_batches=100).behind:
        pass
    return {"pending": pending, "ready": ready}
