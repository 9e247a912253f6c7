"""Archive segments and archived streams; the append-only triggers learn archival's
one sanctioned delete (eventstore/guards.py), so they are reinstalled."""

import django.db.models.deletion
from django.db import migrations, models

from eventstore import guards


class Migration(migrations.Migration):
    dependencies = [
        ("eventstore", "0006_chain_hashes_and_seals"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArchiveSegment",
            fields=[
                ("number", models.PositiveIntegerField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=200)),
                ("sha256", models.CharField(max_length=64)),
                ("events", models.BigIntegerField()),
                ("first_tx_id", models.BigIntegerField()),
                ("first_position", models.BigIntegerField()),
                ("last_tx_id", models.BigIntegerField()),
                ("last_position", models.BigIntegerField()),
                ("min_position", models.BigIntegerField()),
                ("max_position", models.BigIntegerField()),
                ("created_at", models.DateTimeField()),
                ("verified_at", models.DateTimeField(blank=True, null=True)),
                ("manifest", models.JSONField()),
            ],
            options={
                "ordering": ["number"],
            },
        ),
        migrations.AddField(
            model_name="seal",
            name="archived",
            field=models.JSONField(default=dict),
        ),
        migrations.CreateModel(
            name="ArchivedStream",
            fields=[
                ("stream_id", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("version", models.PositiveIntegerField()),
                ("head_hash", models.CharField(max_length=64, null=True)),
                (
                    "segment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="streams",
                        to="eventstore.archivesegment",
                    ),
                ),
            ],
        ),
        guards.reinstall(),
    ]
