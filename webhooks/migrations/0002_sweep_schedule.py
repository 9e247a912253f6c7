"""The webhooks' every-minute sweep, run by the webhooks' own cluster: it catches up
whatever a lost wake-up or a retry falling due left waiting. Reversible."""

from django.db import migrations

SWEEP_NAME = "webhooks: sweep"


def add_sweep(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SWEEP_NAME,
        defaults={
            "func": "webhooks.tasks.catch_up",
            "schedule_type": "I",  # Schedule.MINUTES
            "minutes": 1,
            "repeats": -1,
            "cluster": "webhooks",
        },
    )


def remove_sweep(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_subscriptions"), ("django_q", "0014_schedule_cluster")]

    operations = [migrations.RunPython(add_sweep, remove_sweep)]
