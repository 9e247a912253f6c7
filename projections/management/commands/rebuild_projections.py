"""Rebuild projections from the start of the log, without downtime.

Queries keep answering from the active rows until the rebuilt ones are complete;
the switch is atomic (see ``projections.engine.rebuilding``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_q.tasks import async_task

from eventstore import store
from projections.engine import comparison, rebuilding, runner
from projections.engine.progress import Progress
from projections.engine.projection import UnknownProjection, get, names
from projections.engine.reading import Log
from projections.engine.runner import Outcome
from projections.models import ProjectionState

REBUILD_TASK = "projections.engine.tasks.rebuild"
PAUSE_SECONDS = 0.05


class Command(BaseCommand):
    help = (
        "Rebuild projections from position 0 (a progress bar on a terminal, a line per "
        "update otherwise), or queue it with --async."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "names", nargs="*", metavar="NAME", help=f"one of: {', '.join(names())}"
        )
        parser.add_argument("--all", action="store_true", help="rebuild every projection")
        parser.add_argument(
            "--async", action="store_true", dest="run_async", help="as django-q2 tasks"
        )
        parser.add_argument("--batch-size", type=int, default=None, help="events per transaction")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="compare the rebuilt rows with the live ones before switching; with "
            "differences, keep them waiting for a decision in the admin (exit status 2)",
        )

    def handle(self, *args: str, **options: Any) -> None:
        chosen = self._projections(options["names"], options["all"])
        if not options["run_async"]:
            self._rebuild(chosen, options["batch_size"], options["verify"])
            return
        for name in chosen:
            verified = (True,) if options["verify"] else ()
            task_id = async_task(REBUILD_TASK, name, *verified, group="projections")
            self.stdout.write(f"{name}: rebuild queued (task {task_id})")

    def _projections(self, chosen: list[str], everything: bool) -> list[str]:
        if everything:
            return names()
        if not chosen:
            raise CommandError("name the projections to rebuild, or pass --all")
        try:
            return [get(name).name for name in chosen]
        except UnknownProjection as error:
            raise CommandError(str(error)) from None

    def _rebuild(self, chosen: list[str], batch_size: int | None, verify: bool) -> None:
        """Rebuild ``chosen`` together: each page of the log is read and decoded once
        for all of them."""
        building = {name: rebuilding.start(name, verify=verify) for name in chosen}
        for name, generation in building.items():
            self.stdout.write(f"{name}: building generation {generation}")
        progress = Progress(total=store.count_after(store.START))
        self._redraw = self.stdout.isatty()
        self._shown: int | None = None
        done = dict.fromkeys(building, 0)
        self._held: list[str] = []
        with runner.cyclic_gc_paused():
            while building:
                moved, live = self._round(building, done, batch_size)
                self._report(progress, done, live)
                if not moved:
                    time.sleep(PAUSE_SECONDS)
        if self._held:
            raise CommandError(
                f"{', '.join(self._held)}: the rebuilt rows differ from the live ones; the "
                "rebuild keeps catching up and waits for a decision (admin: Projection "
                "health → Review, switch or discard)",
                returncode=2,
            )

    def _report(self, progress: Progress, done: dict[str, int], live: dict[str, int]) -> None:
        """The bar for the projection furthest behind, then the generations gone live."""
        for name in live:
            done[name] = max(progress.total, *done.values())
        progress.total = max(progress.total, *done.values())
        progress.done = min(done.values())
        self._show(progress)
        for name, generation in live.items():
            self._line(f"{name}: generation {generation} is live")

    def _round(
        self, building: dict[str, int], done: dict[str, int], batch_size: int | None
    ) -> tuple[bool, dict[str, int]]:
        """One batch for each projection still building: whether any may have more, and
        the generations that went live (they leave ``building``)."""
        log, moved, live = Log(), False, {}
        for name in list(building):
            result = runner.run_batch(get(name), batch_size, log)
            moved = moved or result.may_have_more
            if result.outcome is Outcome.HELD:
                self._line(f"{name}: generation {building.pop(name)} differs from the live one:")
                state = ProjectionState.objects.get(name=name)
                for line in comparison.describe(state.rebuild_differences):
                    self._line(f"  {line}")
                self._held.append(name)
                done[name] = store.count_after(store.START)
            elif result.outcome in (Outcome.SWITCHED, Outcome.IDLE):
                # IDLE: another runner finished the rebuild and switched.
                live[name] = building.pop(name)
            elif result.outcome is Outcome.FAILED and result.rebuilding:
                self._fail(name)
            elif result.rebuilding:
                done[name] += result.events
            elif result.outcome in (Outcome.BUSY, Outcome.WAITING):
                done[name] = self._done_by_other_runner(name, done[name])
        return moved, live

    def _done_by_other_runner(self, name: str, done: int) -> int:
        """Another runner holds the projection: how far its rebuild is."""
        state = ProjectionState.objects.get(name=name)
        if state.rebuild_generation is None:
            return done
        return store.count_after(store.START) - store.count_after(state.rebuild_checkpoint)

    def _show(self, progress: Progress) -> None:
        """On a terminal, redraw the bar in place; elsewhere (a pipe, a file, a log
        collector) a line each time the count moves, written at once."""
        if self._redraw:
            self.stdout.write(f"\r{progress.render()}", ending="")
            self._shown = progress.done
        elif progress.done != self._shown:
            self._shown = progress.done
            self.stdout.write(progress.render())
        self.stdout.flush()

    def _line(self, text: str) -> None:
        """A line of its own, below the bar if one is being redrawn."""
        if self._redraw and self._shown is not None:
            self.stdout.write("")
            self._shown = None
        self.stdout.write(text)
        self.stdout.flush()

    def _fail(self, name: str) -> None:
        state = ProjectionState.objects.get(name=name)
        raise CommandError(
            f"\n{name}: a handler failed at position {state.error_position}: {state.error}\n"
            "The rebuild stays in progress; runners retry with backoff once the cause is fixed "
            "(see `manage.py projections`)."
        )
