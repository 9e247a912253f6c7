"""Try a subscriber's parked work again, e.g. an order the fulfillment process parked."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from orders.processes import runner as subscribers


class Command(BaseCommand):
    help = "Make parked work due now (see `manage.py projections`) and wake the runner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the subscriber, e.g. fulfillment")
        parser.add_argument("keys", nargs="*", metavar="KEY", help="e.g. order ids")
        parser.add_argument("--all", action="store_true", help="every parked piece of work")

    def handle(self, *args: str, **options: Any) -> None:
        try:
            subscriber = subscribers.get(options["name"])
        except subscribers.UnknownSubscriber as error:
            raise CommandError(str(error)) from None
        keys = options["keys"]
        if options["all"]:
            keys = [work.key for work in subscriber.parked()]
        elif not keys:
            raise CommandError("name the keys to retry, or pass --all")
        with transaction.atomic():
            missing = [key for key in keys if not subscribers.retry(subscriber.name, key)]
        for key in missing:
            self.stderr.write(f"nothing of {subscriber.name} is parked under {key}")
        self.stdout.write(f"{len(keys) - len(missing)} due now; the runners are woken")
