"""The read side of Chronicle: read models kept caught up from the event log.

How it is built and why: docs/architecture.md.
"""

from importlib import import_module
from types import ModuleType

# django-q2 finds a task by its dotted path with ``pydoc.locate``, which falls back on
# attributes; tasks queued, failed or scheduled before the engine moved still name
# ``projections.tasks.*`` (migration 0006 repoints the stored schedules).
_MOVED = {"tasks": "projections.engine.tasks"}


def __getattr__(name: str) -> ModuleType:
    if name in _MOVED:
        return import_module(_MOVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
