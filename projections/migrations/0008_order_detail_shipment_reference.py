"""Order details: one tracking number per order, and a shipment that ships.

Adds ``shipment_reference`` and brings the rows as they are to what a rebuild would
show, so no rebuild is needed: the generated CHR... number leaves ``tracking_number``
(which only ever holds the carrier's, from ``OrderShipped``) for ``shipment_reference``
(derived from the shipment's id, as the fulfillment process derives it), a shipped
order's shipment says SHIPPED, and the ready-to-ship timeline entry names the
shipment. Reversing only drops the column.
"""

from django.db import migrations, models

READY = "OrderReadyToShip"
OLD_NOTE, NEW_NOTE = "ready to ship, tracking number ", "ready to ship, shipment "


def reference_for(shipment_id):
    return f"CHR{shipment_id.hex[:12].upper()}"


def one_tracking_number(apps, schema_editor):
    OrderDetail = apps.get_model("projections", "OrderDetail")
    rows = OrderDetail.objects.exclude(shipment_id=None).iterator(chunk_size=500)
    for row in rows:
        row.shipment_reference = reference_for(row.shipment_id)
        if row.status != "SHIPPED":
            row.tracking_number = ""
        elif row.shipment_status == "CREATED":
            row.shipment_status = "SHIPPED"
        row.timeline = [_renamed(entry) for entry in row.timeline]
        row.save(
            update_fields=["shipment_reference", "tracking_number", "shipment_status", "timeline"]
        )


def _renamed(entry):
    if entry.get("event_type") != READY:
        return entry
    return {**entry, "description": entry["description"].replace(OLD_NOTE, NEW_NOTE)}


class Migration(migrations.Migration):
    dependencies = [("projections", "0007_leases_move_to_process_state")]

    operations = [
        migrations.AddField(
            model_name="orderdetail",
            name="shipment_reference",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(one_tracking_number, migrations.RunPython.noop),
    ]
