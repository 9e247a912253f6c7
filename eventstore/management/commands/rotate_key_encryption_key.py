"""Re-wrap every customer's data key under a new key-encryption key, and whatever
else is kept under it (``KEY_ENCRYPTION_REWRAPS``: the webhook secrets).

Set the new key as CHRONICLE_KEY_ENCRYPTION_KEY, then run with the old one:
``manage.py rotate_key_encryption_key --old-key <base64>`` (or the environment's
CHRONICLE_OLD_KEY_ENCRYPTION_KEY). Keys already under the new key are left alone,
so a run that stopped can be repeated. Nothing in the event log changes.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import import_string

from eventstore import shredding


class Command(BaseCommand):
    help = "Re-wrap every data key from the old key-encryption key to the current one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--old-key",
            default=os.environ.get("CHRONICLE_OLD_KEY_ENCRYPTION_KEY", ""),
            help="the previous key-encryption key, base64 (default: "
            "$CHRONICLE_OLD_KEY_ENCRYPTION_KEY)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            old = shredding.key_encryption_key(options["old_key"])
            new = shredding.key_encryption_key()
        except ValueError as error:
            raise CommandError(f"{error} (give the old key with --old-key)") from None
        try:
            with transaction.atomic():
                rewrapped, already = shredding.rewrap(old, new)
                others = [
                    (path, import_string(path)(old, new))
                    for path in settings.KEY_ENCRYPTION_REWRAPS
                ]
        except shredding.InvalidTag:
            raise CommandError("a key unwraps with neither key; nothing changed") from None
        self.stdout.write(
            f"Re-wrapped {rewrapped} data keys; {already} were under the new key already."
        )
        for path, (done, before) in others:
            self.stdout.write(f"{path}: re-wrapped {done}; {before} were under the new key.")
