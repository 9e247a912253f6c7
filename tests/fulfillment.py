"""Run the fulfillment process manager the way the django-q2 workers do, to the end.

Under pytest-django's plain ``db`` fixture no commit happens, so nothing wakes the
workers: a test that pays an order and wants it ready to ship runs the process here.
"""

from __future__ import annotations

import time

from eventstore import store
from eventstore.models import Event
from eventstore.subscriptions.outcomes import Report
from orders.processes import runner as subscribers
from orders.processes.fulfillment import NAME

HORIZON_PATIENCE_SECONDS = 10


def run_fulfillment() -> Report:
    """Until the process has reacted to every event, including the ones it caused."""
    while True:
        _wait_for_the_horizon()
        report = subscribers.advance([NAME], max_batches=100)
        if not report.behind:
            return report


def _last() -> store.Checkpoint:
    last = Event.objects.order_by("-position").values_list("position", flat=True).first()
    return (store.checkpoint_of(last) if last else None) or store.START


def _wait_for_the_horizon() -> None:
    """On PostgreSQL a transaction open elsewhere holds the safe read horizon back a moment."""
    deadline = time.monotonic() + HORIZON_PATIENCE_SECONDS
    while store.head() < _last() and time.monotonic() < deadline:
        time.sleep(0.005)
