"""Customers' emails become unique whatever their case: the ``EmailClaim`` table, and a
claim for every customer that exists already, made from the log (each customer's last
email, oldest customer first).

Where two existing customers share an email in any case, the younger is left
unclaimed and the migration says so (customer ids only, never the email): a claim
cannot be made retroactively, only refused from now on. The unclaimed customer keeps
its email; its next change of email claims the new one. Reversing drops the table.
"""

from django.db import migrations, models

from orders.emails import EMAIL_EVENTS, claims_from


def claim_existing(apps, schema_editor):
    Event = apps.get_model("eventstore", "Event")
    EmailClaim = apps.get_model("orders", "EmailClaim")
    events = (
        Event.objects.filter(stream_type="customer", event_type__in=EMAIL_EVENTS)
        .order_by("position")
        .values_list("data", flat=True)
        .iterator(chunk_size=2000)
    )
    claims = claims_from(events)
    EmailClaim.objects.bulk_create(
        [EmailClaim(key=key, customer_id=customer) for key, customer in claims.claimed.items()],
        batch_size=1000,
    )
    report(claims.duplicates)


def report(duplicates):
    if not duplicates:
        return
    print(f"\n  orders.0005: {len(duplicates)} customer(s) share an email with an older one;")
    print("  left unclaimed (they keep their email; a change of email claims the new one):")
    for younger, older in duplicates:
        print(f"    customer {younger} has the email of customer {older}")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_process_state"),
        ("eventstore", "0003_event_json_as_written"),
    ]

    operations = [
        migrations.CreateModel(
            name="EmailClaim",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=64, unique=True)),
                ("customer_id", models.UUIDField(unique=True)),
            ],
        ),
        migrations.RunPython(claim_existing, migrations.RunPython.noop),
    ]
