from django.db import migrations

from eventstore import guards


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0001_initial")]
    operations = [migrations.RunPython(guards.install, guards.remove)]
