"""Migration projections.0008: the order details' rows as they are come to say what a
rebuild would: one tracking number (the carrier's), the generated number as the
shipment's reference, and a shipped order's shipment SHIPPED."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orders.shipment import shipment_reference_for
from projections.models import OrderDetail

BEFORE = [("projections", "0007_leases_move_to_process_state")]
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def old_row(model, status: str, shipment_status: str, tracking: str, timeline: list) -> uuid.UUID:
    order_id = uuid.uuid4()
    model.objects.create(
        generation=1,
        order_id=order_id,
        order_number="ORD-000001",
        customer_id=uuid.uuid4(),
        status=status,
        total_amount=100,
        currency="EUR",
        created_at=NOW,
        updated_at=NOW,
        position=1,
        version=1,
        shipment_id=uuid.uuid5(order_id, "shipment"),
        shipment_status=shipment_status,
        tracking_number=tracking,
        timeline=timeline,
    )
    return order_id


def ready_note(number: str) -> dict:
    return {"event_type": "OrderReadyToShip", "version": 3, "position": 3,
            "occurred_at": NOW.isoformat(),
            "description": f"Stock reserved; ready to ship, tracking number {number}"}  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_live_rows_get_one_tracking_number_a_shipment_reference_and_a_shipped_shipment():
    migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    try:
        model = old.get_model("projections", "OrderDetail")
        ready = old_row(model, "PAID", "CREATED", "CHRAAAA", [ready_note("CHRAAAA")])
        shipped = old_row(model, "SHIPPED", "CREATED", "TRK-9", [ready_note("CHRBBBB")])
        cancelled = old_row(model, "CANCELLED", "CANCELLED", "CHRCCCC", [])
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    rows = {row.order_id: row for row in OrderDetail.objects.all()}
    for order_id in (ready, shipped, cancelled):
        expected = shipment_reference_for(uuid.uuid5(order_id, "shipment"))
        assert rows[order_id].shipment_reference == expected
    assert (rows[ready].tracking_number, rows[ready].shipment_status) == ("", "CREATED")
    assert (rows[shipped].tracking_number, rows[shipped].shipment_status) == ("TRK-9", "SHIPPED")
    assert (rows[cancelled].tracking_number, rows[cancelled].shipment_status) == ("", "CANCELLED")
    note = rows[ready].timeline[0]["description"]
    assert note == "Stock reserved; ready to ship, shipment CHRAAAA"
