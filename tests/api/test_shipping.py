"""One order walked to shipped through the API, as a client would: its shipment ships
with it, and it has one tracking number, the carrier's."""

from __future__ import annotations

import pytest

from projections.engine import runner
from tests.fulfillment import run_fulfillment

pytestmark = pytest.mark.django_db


def caught_up() -> None:
    run_fulfillment()
    while runner.advance(max_batches=100).behind:
        pass


def test_a_shipped_orders_shipment_is_shipped_and_its_one_tracking_number_the_carriers(
    alices_orders, staff
):
    order_id = alices_orders["ready"]
    ready = staff.get(f"/api/orders/{order_id}").json()["shipping"]
    assert (ready["shipment_status"], ready["tracking_number"]) == ("CREATED", "")
    assert ready["shipment_reference"].startswith("CHR")

    shipped = staff.post(
        f"/api/orders/{order_id}/ship", {"carrier": "DHL", "tracking_number": "TRK-42"}
    )
    assert shipped.status_code == 200, shipped.content
    caught_up()

    body = staff.get(f"/api/orders/{order_id}").json()
    assert body["shipping"] == {
        "carrier": "DHL",
        "tracking_number": "TRK-42",
        "shipment_id": ready["shipment_id"],
        "shipment_reference": ready["shipment_reference"],
        "shipment_status": "SHIPPED",
    }
    tracking = [e["description"] for e in body["timeline"] if "tracking number" in e["description"]]
    assert tracking == ["Shipped with DHL, tracking number TRK-42"]
    ready_note = next(e for e in body["timeline"] if e["event_type"] == "OrderReadyToShip")
    assert ready_note["description"].endswith(f"shipment {ready['shipment_reference']}")
