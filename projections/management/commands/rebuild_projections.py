"""Rebuild projections from the start of the log, without downtime.

Queries keep answering from the active rows until the rebuilt ones are complete;
the switch is atomic (see ``projections.rebuilding``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_q.tasks import async_task

from eventstore import store
from projections import rebuilding, runner
from projections.models import ProjectionState
from projections.progress import Progress
from projections.projection import UnknownProjection, get, names
from projections.runner import Outcome

REBUILD_TASK = "projections.tasks.rebuild"
PAUSE_SECONDS = 0.05


class Command(BaseCommand):
    help = "Rebuild projections from position 0 (progress bar), or queue it with --async."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "names", nargs="*", metavar="NAME", help=f"one of: {', '.join(names())}"
        )
        parser.add_argument("--all", action="store_true", help="rebuild every projection")
        parser.add_argument(
            "--async", action="store_true", dest="run_async", help="as django-q2 tasks"
        )
        parser.add_argument("--batch-size", type=int, default=None, help="events per transaction")

    def handle(self, *args: str, **options: Any) -> None:
        for name in self._projections(options["names"], options["all"]):
            if options["run_async"]:
                task_id = async_task(REBUILD_TASK, name, group="projections")
                self.stdout.write(f"{name}: rebuild queued (task {task_id})")
            else:
                self._rebuild(name, options["batch_size"])

    def _projections(self, chosen: list[str], everything: bool) -> list[str]:
        if everything:
            return names()
        if not chosen:
            raise CommandError("name the projections to rebuild, or pass --all")
        try:
            return [get(name).name for name in chosen]
        except UnknownProjection as error:
            raise CommandError(str(error)) from None

    def _rebuild(self, name: str, batch_size: int | None) -> None:
        projection = get(name)
        generation = rebuilding.start(name)
        self.stdout.write(f"{name}: building generation {generation}")
        progress = Progress(total=store.count_after(store.START))
        while True:
            result = runner.run_batch(projection, batch_size)
            if result.outcome in (Outcome.SWITCHED, Outcome.IDLE):
                break  # IDLE: another runner finished the rebuild and switched
            if result.outcome is Outcome.FAILED and result.rebuilding:
                self._fail(name)
            if result.rebuilding:
                progress.advance(result.events)
            elif result.outcome in (Outcome.BUSY, Outcome.WAITING):
                self._follow_other_runner(name, progress)
            self._show(progress)
        self._show(progress)
        self.stdout.write(f"\n{name}: generation {generation} is live")

    def _follow_other_runner(self, name: str, progress: Progress) -> None:
        """Another runner holds the projection: show where the rebuild is."""
        time.sleep(PAUSE_SECONDS)
        state = ProjectionState.objects.get(name=name)
        if state.rebuild_generation is not None:
            progress.done = progress.total - store.count_after(state.rebuild_checkpoint)

    def _show(self, progress: Progress) -> None:
        self.stdout.write(f"\r{progress.render()}", ending="")
        self.stdout.flush()

    def _fail(self, name: str) -> None:
        state = ProjectionState.objects.get(name=name)
        raise CommandError(
            f"\n{name}: a handler failed at position {state.error_position}: {state.error}\n"
            "The rebuild stays in progress; runners retry with backoff once the cause is fixed "
            "(see `manage.py projections`)."
        )
