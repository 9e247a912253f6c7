"""Seal the log now (the django-q2 schedule does it hourly): every stream's head up
to the log's head, keyed and chained to the previous seal (eventstore/sealing.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from eventstore import sealing


class Command(BaseCommand):
    help = "Seal the event log up to its head."

    def handle(self, *args: Any, **options: Any) -> None:
        seal = sealing.take_seal()
        if seal is None:
            self.stdout.write("Nothing to seal: no event since the last seal.")
            return
        self.stdout.write(
            f"Sealed #{seal.number}: {len(seal.heads)} streams up to position "
            f"{seal.position} ({seal.events} events in all)."
        )
