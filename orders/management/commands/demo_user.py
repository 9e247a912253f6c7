"""Make sure the demo staff login that `make run` prints exists.

A new user gets the demo password; an existing one keeps the password it has (someone
may have changed it), unless ``--reset-password``. ``--login`` prints only the login
for `make run`'s banner."""

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandParser

DEFAULT_USERNAME = "demo"
DEFAULT_PASSWORD = "chronicle-demo"


class Command(BaseCommand):
    help = (
        "Create the demo staff user if absent (DEMO_USERNAME / DEMO_PASSWORD, default "
        f"{DEFAULT_USERNAME} / {DEFAULT_PASSWORD}); an existing user's password is left "
        "alone unless --reset-password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="set the demo password again on an existing user",
        )
        parser.add_argument(
            "--login", action="store_true", help="print only the login, for a start-up banner"
        )

    def handle(self, *args: Any, reset_password: bool, login: bool, **options: Any) -> None:
        username = os.environ.get("DEMO_USERNAME", DEFAULT_USERNAME)
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        if created or reset_password:
            user.set_password(password)
        user.save()
        rebuild = Permission.objects.filter(codename="rebuild_projection").first()
        if rebuild:
            user.user_permissions.add(rebuild)
        if user.check_password(password):
            known = f"{username} / {password}"
        else:
            known = (
                f"{username} (its password was changed; "
                "`manage.py demo_user --reset-password` sets the demo one again)"
            )
        if login:
            self.stdout.write(known)
            return
        verb = "Created" if created else "Reset" if reset_password else "Kept"
        self.stdout.write(self.style.SUCCESS(f"{verb} demo staff user: {known}"))
