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
    # HMAC-SHA256 over the previous event's chain hash and this event's canonical
    # bytes (eventstore/chain.py); NULL for events recorded before chaining, which
    # the genesis seal covers.
    chain_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

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
    # The event at ``version``: the next append chains to it without a query.
    head_recorded_at = models.DateTimeField(null=True)
    head_chain_hash = models.CharField(max_length=64, null=True)  # noqa: DJ001

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


class Seal(models.Model):
    """Every stream's head (version and chain hash) up to a checkpoint of the log,
    keyed and chained to the previous seal (eventstore/sealing.py). ``heads`` holds
    the streams whose head moved since the previous seal; the heads at a seal are
    the fold of every seal up to it. Each seal's hash is also written outside the
    database, so deleting the newest seals with the newest events shows too."""

    number = models.PositiveIntegerField(primary_key=True)
    tx_id = models.BigIntegerField()
    position = models.BigIntegerField()
    heads = models.JSONField()
    events = models.BigIntegerField()
    sealed_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64, blank=True)
    seal_hash = models.CharField(max_length=64)
    # The streams archived since the previous seal, by segment number: verify_events
    # reads them from there (eventstore/archive.py).
    archived = models.JSONField(default=dict)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"seal {self.number} up to #{self.position}"


class VerificationRun(models.Model):
    """One run of ``verify_events``: what it covered and the first break it found."""

    scope = models.CharField(max_length=250)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    up_to_position = models.BigIntegerField(null=True)
    events_checked = models.BigIntegerField()
    seals_checked = models.PositiveIntegerField()
    breaks = models.PositiveIntegerField()
    break_kind = models.CharField(max_length=40, blank=True)
    break_stream = models.CharField(max_length=200, blank=True)
    break_version = models.PositiveIntegerField(null=True)
    break_position = models.BigIntegerField(null=True)
    break_detail = models.TextField(blank=True)
    # Every break found (the first BREAKS_KEPT), in log order: kind, stream_id,
    # version, position, detail.
    found = models.JSONField(default=list)

    BREAKS_KEPT = 100

    class Meta:
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"verification of {self.scope} at {self.finished_at:%Y-%m-%d %H:%M}"

    @property
    def is_clean(self) -> bool:
        return self.breaks == 0


class ArchiveSegment(models.Model):
    """A compressed, immutable file of whole closed streams moved out of the hot table
    (eventstore/archive.py): its name in the archive storage, its SHA-256, and where
    its events sit in the read order. Rows leave the event table only once the
    segment was read back and verified (``verified_at``)."""

    number = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    events = models.BigIntegerField()
    first_tx_id = models.BigIntegerField()
    first_position = models.BigIntegerField()
    last_tx_id = models.BigIntegerField()
    last_position = models.BigIntegerField()
    # The lowest and highest position in it: a position (an /api/events/ cursor) is
    # looked up in the segments whose range holds it.
    min_position = models.BigIntegerField()
    max_position = models.BigIntegerField()
    created_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    manifest = models.JSONField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"archive segment {self.number} ({self.events} events)"


class ArchivedStream(models.Model):
    """A stream whose events live in an archive segment. It stays closed: the append
    guard refuses it (docs/architecture.md, invariant 16)."""

    stream_id = models.CharField(max_length=200, primary_key=True)
    segment = models.ForeignKey(ArchiveSegment, on_delete=models.PROTECT, related_name="streams")
    version = models.PositiveIntegerField()
    head_hash = models.CharField(max_length=64, null=True)  # noqa: DJ001 (unchained head)

    def __str__(self) -> str:
        return f"{self.stream_id} in segment {self.segment_id}"
