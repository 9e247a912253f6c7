"""Run the projection and subscriber runners in the foreground (a lower-latency
alternative to tasks)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projections.engine import subscribers, tasks
from projections.engine.projection import UnknownProjection, get


class Command(BaseCommand):
    help = "Catch the projections and subscribers up with the log; --follow keeps polling."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "names", nargs="*", metavar="NAME", help="default: every projection and subscriber"
        )
        parser.add_argument("--follow", action="store_true", help="keep polling for new events")
        parser.add_argument("--interval", type=float, default=0.2, help="seconds between polls")

    def handle(self, *args: str, **options: Any) -> None:
        chosen = options["names"]
        try:
            for name in set(chosen) - set(subscribers.names()):
                get(name)
        except UnknownProjection as error:
            raise CommandError(str(error)) from None
        try:
            self._run(chosen, options["follow"], options["interval"])
        except KeyboardInterrupt:
            self.stdout.write("stopped")

    def _run(self, names: list[str], follow: bool, interval: float) -> None:
        while True:
            report = tasks.advance(names)
            if report.total:
                applied = ", ".join(f"{n} {c}" for n, c in report.events.items() if c)
                self.stdout.write(f"applied {report.total} events ({applied})")
            for name in report.failed:
                self.stderr.write(f"{name} failed; see `manage.py projections`")
            if report.behind:
                continue
            if not follow:
                return
            time.sleep(interval)
