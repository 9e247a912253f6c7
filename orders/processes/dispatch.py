"""Wake the process managers after a command commits, as the read side wakes the
projections (the rules of it: ``eventstore.subscriptions.wakeups``). ``recover`` is
connected to django-q2's ``post_spawn`` in ``orders.apps``; the every-minute sweep is
migration ``orders.0004``."""

from __future__ import annotations

from typing import Any

from django_q.tasks import async_task

from eventstore.subscriptions.wakeups import STALE_AFTER, WakeUps
from orders.processes.state import ProcessCatchUpRequest

CATCH_UP_TASK = "orders.processes.tasks.catch_up"


def _enqueue(*args: Any, **kwargs: Any) -> Any:
    return async_task(*args, **kwargs)  # looked up at call time: tests replace it


_wake_ups = WakeUps(ProcessCatchUpRequest, CATCH_UP_TASK, group="processes", enqueue=_enqueue)
wake = _wake_ups.wake
recover = _wake_ups.recover
acknowledge = _wake_ups.acknowledge

__all__ = ["CATCH_UP_TASK", "STALE_AFTER", "acknowledge", "recover", "wake"]
