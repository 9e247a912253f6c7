"""The every-minute sweep: catches up whatever a lost catch-up task missed.

django-q2 duplicates schedules created at every start-up, so the schedule is made
here, once, keyed by its name; running the migration again changes nothing.
"""

from django.db import migrations

SWEEP_NAME = "projections: sweep"


def create_sweep(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SWEEP_NAME,
        defaults={
            "func": "projections.engine.tasks.catch_up",
            "schedule_type": "I",  # Schedule.MINUTES
            "minutes": 1,
            "repeats": -1,
        },
    )


def remove_sweep(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0001_initial"),
        ("django_q", "0014_schedule_cluster"),
    ]

    operations = [migrations.RunPython(create_sweep, remove_sweep)]
