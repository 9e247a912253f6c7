"""Idempotency keys belong to their sender: unique per (user, key), not globally.

Records made before this migration name no user and cannot be given one (the
fingerprint is a hash), so they are dropped: a retry of a request sent before the
upgrade runs again. Deploy between bursts of retries."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_unowned_records(apps, schema_editor):
    apps.get_model("orders", "IdempotencyRecord").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_fulfillment_process"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_unowned_records, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="key",
            field=models.CharField(max_length=255),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                default=None,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="idempotencyrecord",
            constraint=models.UniqueConstraint(
                fields=("user", "key"), name="idempotency_key_per_user"
            ),
        ),
    ]
