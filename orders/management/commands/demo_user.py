"""Create (or reset) the demo staff login that `make run` prints."""

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the demo staff user (DEMO_USERNAME / DEMO_PASSWORD, default demo / chronicle-demo)."
    )

    def handle(self, *args, **options):
        username = os.environ.get("DEMO_USERNAME", "demo")
        password = os.environ.get("DEMO_PASSWORD", "chronicle-demo")
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        rebuild = Permission.objects.filter(codename="rebuild_projection").first()
        if rebuild:
            user.user_permissions.add(rebuild)
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} demo staff user: username={username} password={password}")
        )
