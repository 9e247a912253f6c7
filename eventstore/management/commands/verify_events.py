"""Recompute the log's chain hashes and seals; exit non-zero naming the first break.

``manage.py verify_events`` checks every stream; ``--stream ID`` one stream;
``--since-seal N`` the streams sealed after seal N and those written since the last
seal (with every seal, which are few). Each run is recorded: the admin shows the
last one (README, "Compliance").
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from eventstore import store, verification


class Command(BaseCommand):
    help = "Verify the event log's chain hashes and seals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stream", help="verify this stream only")
        parser.add_argument(
            "--since-seal",
            type=int,
            metavar="N",
            help="verify what was sealed after seal N, and what is not sealed yet",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        total = None if options["stream"] else store.count_after(store.START)
        with tqdm(
            total=total, unit="event", disable=options["no_progress"], file=self.stderr
        ) as bar:
            report = verification.verify(
                stream_id=options["stream"], since_seal=options["since_seal"], progress=bar.update
            )
        first = report.first
        if first is not None:
            for found in sorted(report.breaks, key=verification.log_order)[1:]:
                self.stderr.write(f"also: {found}")
            raise CommandError(
                f"{len(report.breaks)} break(s) in the {report.scope}; the first: {first}"
            )
        self.stdout.write(
            f"Verified the {report.scope}: {report.events} events and {report.seals} seals, "
            f"up to position {report.up_to.position}: no break."
        )
