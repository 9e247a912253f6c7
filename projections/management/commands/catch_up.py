"""Run the projection and process runners in the foreground (a lower-latency
alternative to tasks).

The read side does not import the write side's runner: the processes' ``advance`` is
named by the ``CATCH_UP_PROCESSES`` setting, as ``EVENTSTORE_AFTER_COMMIT`` names the
wake-ups for the event store."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from orders.processes.health import is_process
from projections.engine import runner
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
            for name in [name for name in chosen if not is_process(name)]:
                get(name)
        except UnknownProjection as error:
            raise CommandError(str(error)) from None
        try:
            self._run(chosen, options["follow"], options["interval"])
        except KeyboardInterrupt:
            self.stdout.write("stopped")

    def _run(self, names: list[str], follow: bool, interval: float) -> None:
        """Say what each round applied; once nothing is left, "up to date" if nothing
        was applied and nothing failed (and, following, the first time it gets there)."""
        applied_any = failed_any = said_up_to_date = False
        while True:
            report = advance(names)
            if report.total:
                applied = ", ".join(f"{n} {c}" for n, c in report.events.items() if c)
                self._say(f"applied {report.total} events ({applied})")
                applied_any = True
            for name in report.failed:
                self.stderr.write(f"{name} failed; see `manage.py projections`")
                failed_any = True
            if report.behind:
                continue
            if not follow:
                if not (applied_any or failed_any):
                    self._say("up to date")
                return
            if not (said_up_to_date or report.failed):
                self._say("up to date; following new events (Ctrl-C stops)")
                said_up_to_date = True
            time.sleep(interval)

    def _say(self, line: str) -> None:
        """A line, at once even when the output is a pipe (``--follow | tee log``)."""
        self.stdout.write(line)
        self.stdout.flush()


def advance(names: Sequence[str] = ()) -> runner.Report:
    """Rounds of one batch per process, then one per projection (all of both when
    ``names`` is empty), until none is behind, ``PROJECTIONS_BATCHES_PER_TASK`` rounds or
    ``PROJECTIONS_SECONDS_PER_TASK`` have gone by.

    Processes go first in each round, so their commands' events reach the projections
    in the same run; in rounds, because a process's reactions send commands and are
    slow: a backlog of them must not hold the read models back. Every projection runs
    in every round: a process's commands may give an idle one more to do.
    """
    advance_processes = import_string(settings.CATCH_UP_PROCESSES)
    reacting: list[str] | None = [n for n in names if is_process(n)] if names else None
    projections = [n for n in names if not is_process(n)] if names else None
    deadline = time.monotonic() + settings.PROJECTIONS_SECONDS_PER_TASK
    report = runner.Report()
    behind: list[str] = []
    for _ in range(settings.PROJECTIONS_BATCHES_PER_TASK):
        reports = []
        if reacting is None or reacting:
            reports.append(advance_processes(reacting, max_batches=1))
        if projections is None or projections:
            reports.append(runner.advance(projections, max_batches=1))
        for found in reports:
            for name, count in found.events.items():
                report.events[name] = report.events.get(name, 0) + count
            report.failed += [name for name in found.failed if name not in report.failed]
        behind = [name for found in reports for name in found.behind]
        if not behind or time.monotonic() > deadline:
            break
        reacting = [name for name in behind if is_process(name)]
    report.behind = behind
    return report
