"""Stored django-q2 schedules name the tasks by the path they moved to
(``projections.tasks.*`` → ``projections.engine.tasks.*``); reversible."""

from django.db import migrations

OLD, NEW = "projections.tasks.", "projections.engine.tasks."


def _repoint(apps, old: str, new: str) -> None:
    Schedule = apps.get_model("django_q", "Schedule")
    for schedule in Schedule.objects.filter(func__startswith=old):
        schedule.func = new + schedule.func.removeprefix(old)
        schedule.save(update_fields=["func"])


def forwards(apps, schema_editor):
    _repoint(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _repoint(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0005_amounts_in_cents"),
        ("django_q", "0014_schedule_cluster"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
