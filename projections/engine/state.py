"""The projections' bookkeeping tables: each projection's checkpoints, rebuild and
last failure (``ProjectionState``), what it applied minute by minute
(``ProjectionProgress``), and the catch-up wake-up's claim (``CatchUpRequest``).
"""

from __future__ import annotations

from django.db import models

from eventstore import store


class ProjectionState(models.Model):
    """One row per projection: its checkpoints, its rebuild and its last failure.

    Runners lock this row for the length of one batch transaction; the checkpoint
    is the pair (tx_id, position) of the store's safe read order.
    """

    name = models.CharField(primary_key=True, max_length=64)
    generation = models.PositiveIntegerField(default=1)
    tx_id = models.BigIntegerField(default=0)
    position = models.BigIntegerField(default=0)
    rebuild_generation = models.PositiveIntegerField(null=True, blank=True)
    rebuild_tx_id = models.BigIntegerField(default=0)
    rebuild_position = models.BigIntegerField(default=0)
    rebuild_started_at = models.DateTimeField(null=True, blank=True)
    # A verified rebuild (projections/engine/comparison.py) goes live only without
    # differences from the live generation; with some, it is held for a decision.
    rebuild_verify = models.BooleanField(default=False)
    rebuild_held_at = models.DateTimeField(null=True, blank=True)
    rebuild_differences = models.JSONField(default=dict, blank=True)
    retired_generation = models.PositiveIntegerField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    failed_track = models.CharField(max_length=16, blank=True)  # "live" or "rebuild"
    error = models.TextField(blank=True)
    error_position = models.BigIntegerField(null=True, blank=True)
    error_traceback = models.TextField(blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)  # the dead-letter desk's wait
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [
            ("rebuild_projection", "Can rebuild or retry a projection"),
            ("handle_stuck_events", "Can retry or skip a stuck event on the dead-letter desk"),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.tx_id}:{self.position} (generation {self.generation})"

    @property
    def checkpoint(self) -> store.Checkpoint:
        return store.Checkpoint(self.tx_id, self.position)

    @property
    def rebuild_checkpoint(self) -> store.Checkpoint:
        return store.Checkpoint(self.rebuild_tx_id, self.rebuild_position)

    @property
    def rebuilding(self) -> bool:
        return self.rebuild_generation is not None

    def forget_failure(self) -> None:
        self.failures = 0
        self.failed_track = self.error = self.error_traceback = ""
        self.error_position = self.retry_at = self.failing_since = None


class RebuildDecision(models.Model):
    """A member of staff's decision on a verified rebuild held for its differences:
    switch to it or discard it, with the differences as they were recomputed then."""

    SWITCH, DISCARD = "switch", "discard"

    projection = models.CharField(max_length=64)
    generation = models.PositiveIntegerField()
    decision = models.CharField(max_length=8, choices=[(SWITCH, "switch"), (DISCARD, "discard")])
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField()
    differences = models.JSONField()

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.decided_by} chose to {self.decision} {self.projection} {self.generation}"


class ProjectionProgress(models.Model):
    """What one projection applied in one minute: its live batches' events, their
    count and the seconds they took (``projections.engine.throughput``)."""

    name = models.CharField(max_length=64)
    minute = models.DateTimeField()
    events = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    last_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "projection progress"
        constraints = [
            models.UniqueConstraint(fields=["name", "minute"], name="projection_progress_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.minute:%Y-%m-%d %H:%M}: {self.events} events"


class CatchUpRequest(models.Model):
    """A single row saying a catch-up task is queued and not yet started (dedupe)."""

    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"catch-up requested at {self.requested_at}" if self.requested_at else "idle"
