"""The store's after-commit hooks (``EVENTSTORE_AFTER_COMMIT``), off the request's path.

With ``EVENTSTORE_AFTER_COMMIT_IN_BACKGROUND`` on, a commit that appended events only
asks for the hooks: one daemon thread per process runs them, and every commit asked
for while they run is answered by one more run after it. So a command's request
executes no statement of theirs, and a burst of commits wakes the log's readers once
instead of once each. Runs begin at most once per ``EVENTSTORE_AFTER_COMMIT_INTERVAL``
(seconds, default 0.05): under a steady stream of commits each run would otherwise
answer about one commit, and its statements (two per wake-up) would cost more CPU
than the commands themselves (measured: a pay's whole cycle 2.7 ms with a run per
commit, 1.9 ms without the hooks). The asks of the interval gather into the next run,
so a reader is woken at most that much later. Each hook runs after the commit that
asked for it (the ask is made once it has committed).

A process that dies with a run still asked for loses that run; the wake-ups' sweep
(``eventstore.subscriptions.wakeups``: an every-minute schedule, and a catch-up
enqueued as every worker starts) covers it, as it covers a lost task. A process that
exits normally runs what is still asked for before it goes (``atexit``).

Off (the tests' default, and django-q2's synchronous mode), the hooks run at once
after the commit, in the committing thread, as Django's robust ``on_commit`` does.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connections

Hook = Callable[[], None]

logger = logging.getLogger(__name__)

# A thread idle this long closes its database connections (and opens them again
# when next asked).
IDLE_SECONDS = 30.0
INTERVAL_SECONDS = 0.05


class Background:
    """Runs asked-for hooks on one daemon thread, coalescing the asks that come meanwhile."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)
        atexit.register(self.flush)

    def _reset(self) -> None:
        # Also in a forked child: its parent's thread does not exist there, and its
        # lock may have been held at the fork.
        self._condition = threading.Condition()
        self._asked: dict[Hook, None] = {}  # ordered, each hook once
        self._running = False
        self._thread: threading.Thread | None = None

    def ask(self, hooks: Iterable[Hook]) -> None:
        """Have ``hooks`` run soon on the background thread (once, however often asked)."""
        with self._condition:
            for hook in hooks:
                self._asked[hook] = None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="eventstore-after-commit", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is asked for or running (for tests); whether it is so."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._asked and not self._running, timeout)

    def release(self, timeout: float = 10.0) -> bool:
        """Have the thread close its database connections, and wait for it (tests, before
        their database goes away); whether it did in time."""
        if self._thread is None or not self._thread.is_alive():
            return True
        self.ask([connections.close_all])
        return self.wait_idle(timeout)

    def flush(self) -> None:
        """Run in this thread whatever is still asked for (a process about to exit)."""
        with self._condition:
            hooks, self._asked = list(self._asked), {}
        _run(hooks)

    def _serve(self) -> None:
        interval = getattr(settings, "EVENTSTORE_AFTER_COMMIT_INTERVAL", INTERVAL_SECONDS)
        next_run = 0.0
        try:
            while True:
                with self._condition:
                    self._running = False
                    self._condition.notify_all()
                    if not self._condition.wait_for(lambda: self._asked, IDLE_SECONDS):
                        connections.close_all()  # this thread's own
                        continue
                # Outside the lock: the asks of the rest of the interval join this run.
                time.sleep(max(0.0, next_run - time.monotonic()))
                with self._condition:
                    hooks, self._asked = list(self._asked), {}
                    self._running = True
                next_run = time.monotonic() + interval
                _run(hooks)
        finally:
            connections.close_all()


def _run(hooks: Iterable[Hook]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:
            # The events are committed: a hook that fails (a broker or database hiccup)
            # only delays the readers until the sweep. A connection the failure left
            # broken is opened afresh for the next run.
            logger.exception("after-commit hook %s failed; the sweep will catch up", hook)
            for connection in connections.all(initialized_only=True):
                connection.close_if_unusable_or_obsolete()


background = Background()
