"""Event-store queries: an order's status history, its state at a version or an
instant, its events, and the global log for other systems to follow.

These read the event store, never read models, so they are always current and
ignore ``min_position``. An order's past state is the write side's, read through
``orders.temporal``: at the chosen version, or "as of" an instant the state at the
last version recorded at or before it. The state is ``orders.temporal``'s picture
itself, the one the admin's time travel shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from eventstore import store
from orders import temporal
from orders.status import STATUS_SET_BY
from problems import NotFound, Problem
from projections.api.selectors import Viewer


@dataclass(frozen=True)
class StatusChange:
    status: str
    timestamp: dt.datetime
    version: int


def order_events(viewer: Viewer, order_id: UUID) -> list[store.RecordedEvent]:
    """The order's stream, if ``viewer`` may see the order."""
    events = temporal.order_events(order_id)
    if not events or not viewer.may_see(UUID(events[0].data["customer_id"])):
        raise NotFound(f"no order {order_id}")
    return events


def status_history(events: list[store.RecordedEvent]) -> list[StatusChange]:
    return [
        StatusChange(STATUS_SET_BY[e.event_type], e.recorded_at, e.version)
        for e in events
        if e.event_type in STATUS_SET_BY
    ]


def order_state(
    order_id: UUID, *, version: int | None = None, as_of: dt.datetime | None = None
) -> temporal.OrderAsItWas:
    """The order as it was at ``version`` and/or ``as_of`` (the latest when neither is given)."""
    try:
        return temporal.order_as_it_was(order_id, version=version, as_of=as_of)
    except (temporal.NoSuchOrder, temporal.NoSuchVersion, temporal.NotYet) as error:
        raise _not_found(order_id, error) from None


def _not_found(order_id: UUID, error: LookupError) -> NotFound:
    """The temporal query's refusals, worded as every 404 is (problems.handler)."""
    if isinstance(error, temporal.NoSuchVersion):
        return NotFound(f"no version {error.version} of order {order_id}; it is at {error.latest}")
    if isinstance(error, temporal.NotYet):
        return NotFound(f"no order {order_id} yet at {error.at.isoformat()}")
    return NotFound(f"no order {order_id}")


def log_page(after: int, limit: int) -> list[store.RecordedEvent]:
    """Up to ``limit`` events after the event at position ``after``, in the safe read order."""
    checkpoint = store.START if after == 0 else store.checkpoint_of(after)
    if checkpoint is None:
        raise Problem(
            f"no event at position {after}; pass 0 or a position the log returned",
            errors=[{"field": "after", "message": "unknown position"}],
        )
    return store.read_all(after=checkpoint, limit=limit)
