"""Claim the usernames of the users that exist already, oldest first. Where two
existing users differ only in case, the younger is left unclaimed (and keeps its
login): a claim cannot be made retroactively, only refused from now on."""

import unicodedata

from django.conf import settings
from django.db import migrations


def claim_existing(apps, schema_editor):
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    claim_model = apps.get_model("accounts", "UsernameClaim")
    claimed = set(claim_model.objects.values_list("key", flat=True))
    new_claims = []
    for user_id, username in user_model.objects.order_by("pk").values_list("pk", "username"):
        key = unicodedata.normalize("NFKC", username).casefold()
        if key not in claimed:
            claimed.add(key)
            new_claims.append(claim_model(user_id=user_id, key=key))
    claim_model.objects.bulk_create(new_claims, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(claim_existing, migrations.RunPython.noop)]
