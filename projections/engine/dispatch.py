"""Wake the projection runners after a command commits (the rules of it:
``eventstore.subscriptions.wakeups``)."""

from __future__ import annotations

from typing import Any

from django_q.tasks import async_task

from eventstore.subscriptions.wakeups import STALE_AFTER, WakeUps
from projections.engine.state import CatchUpRequest

CATCH_UP_TASK = "projections.engine.tasks.catch_up"


def _enqueue(*args: Any, **kwargs: Any) -> Any:
    return async_task(*args, **kwargs)  # looked up at call time: tests replace it


_wake_ups = WakeUps(CatchUpRequest, CATCH_UP_TASK, group="projections", enqueue=_enqueue)
wake = _wake_ups.wake
recover = _wake_ups.recover
acknowledge = _wake_ups.acknowledge

__all__ = ["CATCH_UP_TASK", "STALE_AFTER", "acknowledge", "recover", "wake"]
