"""GET /api/orders/{id}/state is the admin's time travel picture, whole
(orders.temporal.order_as_it_was), at every version of a real order's life."""

import dataclasses
import datetime as dt
import uuid

import pytest

from orders.temporal import OrderAsItWas
from projections.admin import time_travel
from tests.api.conftest import ADDRESS
from tests.fulfillment import run_fulfillment

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(shop, place_order, staff):
    """Alice's order of two mugs and a tea, paid, reserved by fulfillment, shipped."""
    items = [
        {"product_id": str(shop["mug"]), "quantity": 2},
        {"product_id": str(shop["tea"]), "quantity": 1},
    ]
    order = place_order(items=items).json()["id"]
    paid = shop["alice"].post(f"/api/orders/{order}/pay", {"payment_id": "pay-7"})
    assert paid.status_code == 200
    run_fulfillment()
    ship = {"carrier": "DHL", "tracking_number": "TRK-9"}
    assert staff.post(f"/api/orders/{order}/ship", ship).status_code == 200, "ready to ship"
    return uuid.UUID(order)


def as_api_shows(order: OrderAsItWas) -> dict:
    """The time travel's picture in the API's words."""
    address = dataclasses.asdict(order.shipping_address) if order.shipping_address else None
    return {
        "id": str(order.order_id),
        "order_id": str(order.order_id),
        "order_number": order.order_number,
        "customer_id": str(order.customer_id),
        "status": order.status,
        "fulfillment": order.fulfillment.upper(),
        "items": [
            {
                "product_id": str(line.product_id),
                "product_name": line.product_name,
                "quantity": line.quantity,
                "unit_price": f"{line.unit_price:.2f}",
                "line_total": f"{line.line_total:.2f}",
            }
            for line in order.lines
        ],
        "total_amount": f"{order.total:.2f}",
        "currency": order.currency,
        "shipping_address": address,
        "payment": {"payment_id": order.payment_id},
        "shipping": {
            "shipment_id": str(order.shipment_id) if order.shipment_id else None,
            "shipment_reference": order.shipment_reference,
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
        },
        "cancel_reason": order.cancel_reason,
        "version": order.version,
    }


def test_every_version_of_the_state_is_what_the_time_travel_shows(shipped, staff):
    latest = time_travel.order_at(shipped).latest
    assert latest >= 4
    for version in range(1, latest + 1):
        body = staff.get(f"/api/orders/{shipped}/state", version=version).json()
        picture = time_travel.order_at(shipped, version=version).order
        recorded = {key: body.pop(key) for key in ("recorded_at", "as_of")}
        assert body == as_api_shows(picture), version
        assert dt.datetime.fromisoformat(recorded["recorded_at"]) == picture.recorded_at


def test_the_shipped_state_names_products_payment_and_shipping(shipped, shop, staff):
    body = staff.get(f"/api/orders/{shipped}/state").json()
    assert [i["product_name"] for i in body["items"]] == ["Product MUG-1", "Product TEA-1"]
    assert body["payment"] == {"payment_id": "pay-7"}
    assert body["shipping"]["carrier"] == "DHL" and body["shipping"]["shipment_id"]
    assert body["shipping_address"]["city"] == ADDRESS["city"]
    assert (body["status"], body["total_amount"]) == ("SHIPPED", "29.20")


def test_every_field_of_the_picture_is_in_the_api(shipped, staff):
    """A field added to OrderAsItWas must reach the API too (or this test says where)."""
    body = staff.get(f"/api/orders/{shipped}/state").json()
    shown = {
        *body,
        *body["payment"],
        *body["shipping"],
        "lines",
        "total",
    }
    assert {f.name for f in dataclasses.fields(OrderAsItWas)} <= shown
