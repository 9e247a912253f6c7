"""The process managers' bookkeeping: one ``ProcessState`` row per process."""

from __future__ import annotations

from django.db import models

from eventstore.subscriptions.state import SubscriptionState


class ProcessState(SubscriptionState):
    """One row per process manager: its checkpoint, its lease and its last failure.

    Written only by ``orders.processes.runner``; moved here from the read side's
    ``ProjectionState`` by migration ``orders.0004_process_state``.
    """

    class Meta:
        verbose_name = "process state"


class ProcessCatchUpRequest(models.Model):
    """A single row saying the processes' catch-up task is queued and not yet started."""

    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"catch-up requested at {self.requested_at}" if self.requested_at else "idle"
