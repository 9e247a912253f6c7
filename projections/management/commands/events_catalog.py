"""List every event type: schema version, fields, personal fields, counts stored per
schema version, upcasters, the projections and processes that handle it, a sample.

``--markdown`` prints the static part as docs/events.md; ``--dry-run [TYPE ...]`` runs
the upcasters over every stored event of those types (all by default), writes nothing,
and exits 1 when any fails."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eventstore import events
from projections import event_catalog


class Command(BaseCommand):
    help = "The event catalog; --markdown for docs/events.md, --dry-run to test the upcasters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_types", nargs="*", metavar="TYPE")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--markdown", action="store_true", help="print docs/events.md")
        mode.add_argument(
            "--dry-run", action="store_true", help="run the upcasters over the stored events"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wanted: list[str] = options["event_types"]
        unknown = sorted(set(wanted) - set(events.event_types()))
        if unknown:
            raise CommandError(f"unknown event type(s): {', '.join(unknown)}")
        if options["markdown"]:
            self.stdout.write(event_catalog.markdown(), ending="")
        elif options["dry_run"]:
            self._dry_run(wanted)
        else:
            self._list(wanted)

    def _list(self, wanted: list[str]) -> None:
        counts = event_catalog.stored_counts()
        for t in event_catalog.catalog(wanted or None):
            stored = counts.get(t.name, {})
            self.stdout.write(self.style.MIGRATE_HEADING(f"{t.name} v{t.schema_version}"))
            for f in t.fields:
                self.stdout.write(f"  {f.name}: {f.type}{'  (personal)' if f.personal else ''}")
            self.stdout.write(
                "  stored: "
                + (", ".join(f"v{v}: {n}" for v, n in sorted(stored.items())) or "none")
            )
            for upcaster in t.upcasters:
                self.stdout.write(f"  upcaster {upcaster}")
            self.stdout.write(f"  projections: {', '.join(t.projections) or '-'}")
            self.stdout.write(f"  processes: {', '.join(t.processes) or '-'}")
            sample = event_catalog.sample(t.name) if stored else None
            if sample is not None:
                self.stdout.write(f"  sample: {json.dumps(sample, default=str)}")

    def _dry_run(self, wanted: list[str]) -> None:
        failed = 0
        for result in event_catalog.dry_run(wanted or None):
            failed += len(result.failures)
            status = (
                self.style.ERROR(f"{len(result.failures)} failed")
                if result.failures
                else self.style.SUCCESS("ok")
            )
            self.stdout.write(f"{result.event_type}: {result.checked} checked, {status}")
            for failure in result.failures[:20]:
                self.stdout.write(
                    f"  event {failure['event_id']} at position {failure['position']} "
                    f"(v{failure['schema_version']}): {failure['error']}"
                )
            if len(result.failures) > 20:
                self.stdout.write(f"  ... and {len(result.failures) - 20} more")
            if result.before is not None:
                self.stdout.write(f"  before: {json.dumps(result.before, default=str)}")
                self.stdout.write(f"  after:  {json.dumps(result.after, default=str)}")
        self.stdout.write("nothing was written")
        if failed:
            raise CommandError(f"{failed} stored event(s) fail to upcast", returncode=1)
