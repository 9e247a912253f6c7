"""The event log and the snapshot cache.

``Event`` rows are never updated or deleted: database triggers refuse it
(see ``eventstore/guards.py``). Writes go through ``eventstore.store.append``.
"""

from django.db import models

from eventstore.fields import StoredJSONField


class Event(models.Model):
    position = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    stream_id = models.CharField(max_length=200)
    stream_type = models.CharField(max_length=100)
    event_type = models.CharField(max_length=200)
    schema_version = models.PositiveIntegerField()
    data = StoredJSONField()
    metadata = StoredJSONField()
    version = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()
    correlation_id = models.UUIDField(null=True, blank=True)
    causation_id = models.UUIDField(null=True, blank=True)
    # PostgreSQL: the writing transaction's id (pg_current_xact_id). The safe read
    # order is (tx_id, position) below the oldest running transaction. 0 on SQLite,
    # which serialises writers and has no out-of-order commits.
    tx_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["stream_id", "version"], name="event_stream_version_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["tx_id", "position"], name="event_read_order_idx"),
            models.Index(fields=["event_type"], name="event_type_idx"),
            models.Index(fields=["recorded_at"], name="event_recorded_at_idx"),
            models.Index(fields=["correlation_id"], name="event_correlation_idx"),
            models.Index(fields=["stream_type"], name="event_stream_type_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.stream_id} v{self.version} {self.event_type}"


class Snapshot(models.Model):
    """A cache of an aggregate's state at one version; safe to drop at any time."""

    stream_id = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    aggregate_type = models.CharField(max_length=100)
    schema_version = models.PositiveIntegerField()
    state = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stream_id", "version"], name="snapshot_stream_version_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stream_id} @ v{self.version}"


class DataKey(models.Model):
    """One subject's (a customer's) data key, wrapped by the key-encryption key.

    ``wrapped`` is NULL once the key is destroyed: the subject's personal fields then
    read as "[erased]" and nothing more can be encrypted for it
    (eventstore/shredding.py, docs/architecture.md, invariant 14).
    """

    subject = models.CharField(max_length=200, primary_key=True)
    wrapped = models.BinaryField(null=True)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.subject} ({'destroyed' if self.wrapped is None else 'live'})"


class SkippedEvent(models.Model):
    """A staff decision that one reader of the log (a projection or a process) passes
    over one event it failed on: who, when and why. Readers honour it live and in
    rebuilds; the event itself is never touched (docs/architecture.md, invariant 1)."""

    reader = models.CharField(max_length=64)
    event_id = models.UUIDField()
    position = models.BigIntegerField()
    reason = models.TextField()
    skipped_by = models.CharField(max_length=150)
    skipped_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "event_id"], name="skipped_event_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.reader} skips {self.event_id}"
