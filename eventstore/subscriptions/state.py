"""The row a reader of the log keeps: where it is, how it last failed, who runs it."""

from __future__ import annotations

from django.db import models

from eventstore import store


class SubscriptionState(models.Model):
    """Abstract: one row per reader, named. The checkpoint is the pair (tx_id, position)
    of the store's safe read order; the lease fields serve ``leases`` on SQLite."""

    name = models.CharField(primary_key=True, max_length=64)
    tx_id = models.BigIntegerField(default=0)
    position = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    error_position = models.BigIntegerField(null=True, blank=True)
    error_traceback = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    # The time lease (leases.lease, SQLite only): who holds it, until when.
    leased_by = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} @ {self.tx_id}:{self.position}"

    @property
    def checkpoint(self) -> store.Checkpoint:
        return store.Checkpoint(self.tx_id, self.position)

    def forget_failure(self) -> None:
        self.failures = 0
        self.error = self.error_traceback = ""
        self.error_position = self.retry_at = None
