"""v1 of ``OrderReadyToShip`` and ``ShipmentCreated`` called the generated CHR...
number a tracking number; v2 calls it the shipment's reference. Stored v1 events are
never rewritten: they read back as v2, and the aggregates and read models show them
as they show v2 ones."""

from __future__ import annotations

from uuid import uuid4

import pytest

from eventstore import store
from eventstore.events import decode
from eventstore.models import Event
from orders.events import OrderReadyToShip, ShipmentCreated
from orders.repositories import orders, shipments
from orders.shipment import shipment_id_for
from projections.models import OrderDetail
from tests.projections.conftest import Shop, append, catch_up, record

pytestmark = pytest.mark.django_db

V1_READY = {"order_id": "", "shipment_id": "", "tracking_number": "CHR00AA11BB22CC"}


def v1(event_type: str, data: dict) -> store.NewEvent:
    return store.NewEvent(event_type, data, schema_version=1)


def test_a_v1_ready_to_ship_reads_back_as_v2_with_a_shipment_reference_and_stays_v1_on_disk():
    order_id, shipment_id = uuid4(), uuid4()
    data = {**V1_READY, "order_id": str(order_id), "shipment_id": str(shipment_id)}
    append(f"order-{order_id}", "order", v1("OrderReadyToShip", data))

    (read,) = store.read_stream(f"order-{order_id}")
    assert (read.schema_version, read.data) == (
        2,
        {
            "order_id": str(order_id),
            "shipment_id": str(shipment_id),
            "shipment_reference": "CHR00AA11BB22CC",
        },
    )
    assert decode(read.event_type, read.data) == OrderReadyToShip(
        order_id, shipment_id, "CHR00AA11BB22CC"
    )
    row = Event.objects.get(stream_id=f"order-{order_id}")
    assert (row.schema_version, row.data) == (1, data)


def test_a_v1_shipment_created_reads_back_as_v2_and_the_shipment_has_its_reference():
    order_id = uuid4()
    shipment_id = shipment_id_for(order_id)
    lines = [{"product_id": str(uuid4()), "quantity": 2}]
    data = {
        "shipment_id": str(shipment_id),
        "order_id": str(order_id),
        "tracking_number": "CHR0123",
        "lines": lines,
    }
    append(f"shipment-{shipment_id}", "shipment", v1("ShipmentCreated", data))

    (read,) = store.read_stream(f"shipment-{shipment_id}")
    assert read.schema_version == 2
    assert isinstance(decode(read.event_type, read.data), ShipmentCreated)
    shipment = shipments.load(shipment_id)
    assert (shipment.reference, shipment.status) == ("CHR0123", "CREATED")


def test_new_events_are_written_as_v2():
    assert (OrderReadyToShip.schema_version, ShipmentCreated.schema_version) == (2, 2)
    event = OrderReadyToShip(uuid4(), uuid4(), "CHR1")
    assert set(event.to_data()) == {"order_id", "shipment_id", "shipment_reference"}


def test_an_order_made_ready_in_v1_loads_and_projects_as_one_made_ready_in_v2():
    shop = Shop()  # the read side's shop, which records events as the write side would
    alice, mug = shop.customer(), shop.product("MUG", "10.00")
    v1_order, v2_order = shop.order(alice, (mug, 1)), shop.order(alice, (mug, 1))
    for order_id in (v1_order, v2_order):
        shop.pay(order_id)
        shop.record_shipment(order_id, reference="CHR0007")
    shipment_id = str(shipment_id_for(v1_order))
    data = {"order_id": str(v1_order), "shipment_id": shipment_id, "tracking_number": "CHR0007"}
    append(f"order-{v1_order}", "order", v1("OrderReadyToShip", data))
    record(OrderReadyToShip(v2_order, shipment_id_for(v2_order), "CHR0007"))
    catch_up()

    loaded = [orders.load(order_id) for order_id in (v1_order, v2_order)]
    assert [(o.fulfillment, o.shipment_reference, o.tracking_number) for o in loaded] == [
        ("ready_to_ship", "CHR0007", "")
    ] * 2
    rows = [OrderDetail.objects.get(order_id=order_id) for order_id in (v1_order, v2_order)]
    shown = [(r.shipment_reference, r.tracking_number, r.timeline[-1]["description"]) for r in rows]
    assert shown == [("CHR0007", "", "Stock reserved; ready to ship, shipment CHR0007")] * 2
