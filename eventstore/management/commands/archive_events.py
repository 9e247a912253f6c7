"""Move closed streams whose last event is older than a date into an archive segment.

``manage.py archive_events --closed-before 2026-01-01 [--dry-run]``: which streams are
closed is decided per stream type in one place (orders/archiving.py); the segment is
written, read back and verified before any row leaves the hot table, through the
``ARCHIVE_DATABASE`` alias (README, "Archival"). Reads keep seeing the streams.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from eventstore import archive
from eventstore.recorders.base import TABLE


class Command(BaseCommand):
    help = "Archive closed streams whose last event is older than --closed-before."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--closed-before",
            required=True,
            help="a date (2026-01-01, midnight UTC) or an ISO 8601 instant",
        )
        parser.add_argument("--dry-run", action="store_true", help="say what would move")

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = _instant(options["closed_before"])
        using = settings.ARCHIVE_DATABASE
        streams = archive.closed_streams(cutoff, using=using)
        if not streams:
            self.stdout.write(f"Nothing to archive: no closed stream ends before {cutoff}.")
            return
        groups = archive.in_segments(
            streams, max_events=settings.ARCHIVE_SEGMENT_EVENTS, using=using
        )
        if options["dry_run"]:
            self.stdout.write(
                f"Would archive {len(streams)} streams ({_count(streams, using)} events) "
                f"closed before {cutoff}, in {len(groups)} segment(s)."
            )
            return
        for group in groups:
            try:
                segment = archive.archive_streams(group, using=using)
            except (archive.ArchiveCorrupted, archive.ArchiveRaced) as error:
                raise CommandError(
                    f"{error}; that segment's streams stayed in the event table"
                ) from None
            self.stdout.write(
                f"Archived {len(group)} streams ({segment.events} events) into segment "
                f"{segment.number}: {segment.name} (SHA-256 {segment.sha256[:16]}…)."
            )


def _instant(text: str) -> dt.datetime:
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"--closed-before {text!r} is neither a date nor an instant")
        moment = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC)


def _count(streams: list[str], using: str) -> int:
    total = 0
    with connections[using].cursor() as cursor:
        for start in range(0, len(streams), archive.CHUNK):
            part = streams[start : start + archive.CHUNK]
            cursor.execute(
                f"SELECT COUNT(*) FROM {TABLE} WHERE stream_id IN ({','.join(['%s'] * len(part))})",
                part,
            )
            total += cursor.fetchone()[0]
    return total
