"""A test-only fault point: stop a projection or subscriber runner dead inside a batch.

The fault tests (tests/faults) start real workers and SIGKILL one of them in the
middle of a batch. To make "the middle" deterministic, the runners call
``reached`` with each batch they are about to apply: a projection runner inside the
batch's transaction (the projection's lock is held, its earlier batches have
committed), a subscriber runner holding its lease before it reacts to the batch.
When armed, the first batch holding the chosen event, or the first event past it
(positions can have holes), blocks there until the process is killed.

Off unless the environment sets both:

- ``CHRONICLE_FAULT_BLOCK_AT``: the global position of the event to stop at;
- ``CHRONICLE_FAULT_FLAG``: a file the blocked process creates, holding its pid.
  The file is created exclusively, so the fault fires once: a restarted worker
  with the same environment passes. The test waits for the file, then kills.

``CHRONICLE_FAULT_PROJECTION`` optionally limits the fault to one projection or subscriber.
The environment is read once, at import: when off, a batch costs one comparison.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eventstore.store import RecordedEvent


def _armed() -> tuple[int, str, str] | None:
    position = os.environ.get("CHRONICLE_FAULT_BLOCK_AT", "")
    flag = os.environ.get("CHRONICLE_FAULT_FLAG", "")
    if not (position.isdigit() and flag):
        return None
    return int(position), flag, os.environ.get("CHRONICLE_FAULT_PROJECTION", "")


ARMED = _armed()


def reached(projection: str, events: Sequence[RecordedEvent]) -> None:
    """Block forever if armed for a batch of ``projection`` reaching the chosen event."""
    if ARMED is None:
        return
    position, flag, only = ARMED
    if only and only != projection:
        return
    if not any(event.position >= position for event in events):
        return
    try:
        fd = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return  # fired already: this is the worker that carries on
    with os.fdopen(fd, "w") as file:
        file.write(str(os.getpid()))
    while True:  # until SIGKILL; the open transaction dies with the process
        time.sleep(60)
