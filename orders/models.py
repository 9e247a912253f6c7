"""Write-side tables that are not events: who may act for which customer, the
counter behind human-readable order numbers, the claims that keep skus and emails
unique, idempotency records and the process managers' memory."""

from django.conf import settings
from django.db import connections, models, router


class CustomerAccount(models.Model):
    """Links a login to the one customer it acts for. Staff logins have none."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_account"
    )
    customer_id = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return f"{self.user} → customer {self.customer_id}"


class OrderNumber(models.Model):
    """Allocates ORD-000123 style numbers; the number is then stored in OrderCreated.

    On PostgreSQL the number is the next value of the id column's sequence, and no row
    is written: a write would have to be committed (a WAL flush of its own when the
    command runs outside a transaction, orders/unit_of_work.py), and a transaction
    holding one before its append could meet an OrderingConflict
    (docs/architecture.md, invariant 5). Sequences are never rolled back, so numbers
    stay unique. On SQLite a row is inserted, in the command's transaction.
    """

    id = models.BigAutoField(primary_key=True)

    def __str__(self) -> str:
        return self.label(self.pk)

    @staticmethod
    def label(number: int) -> str:
        return f"ORD-{number:06d}"

    @classmethod
    def allocate(cls) -> str:
        connection = connections[router.db_for_write(cls)]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [cls._meta.db_table]
                )
                return cls.label(cursor.fetchone()[0])
        return cls.label(cls.objects.create().pk)


class SkuClaim(models.Model):
    """Keeps skus unique across products: claimed in the ProductAdded transaction."""

    sku = models.CharField(max_length=64, unique=True)
    product_id = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return self.sku


class EmailClaim(models.Model):
    """Keeps customers' emails unique whatever their case (orders.emails): claimed in the
    transaction that records the email, moved by a change of email. ``key`` is a keyed
    hash of the normalised email, never the email itself."""

    key = models.CharField(max_length=64, unique=True)
    customer_id = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return f"email claim of customer {self.customer_id}"


class IdempotencyRecord(models.Model):
    """The first successful response to an Idempotency-Key, stored with the events.

    A key belongs to the user who sent it: the same key from two users is two
    independent requests (one user can neither see nor block another's keys).
    A PROCESSING row marks a request in flight; it is deleted when the command is
    refused (so a retry runs again) and taken over once it is older than the
    request timeout (its worker died).
    """

    PROCESSING, DONE = "processing", "done"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, default=PROCESSING)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    etag = models.CharField(max_length=32, blank=True)
    location = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class FulfillmentProcess(models.Model):
    """The fulfillment process manager's memory of one paid order (orders.processes.fulfillment).

    Written only by the process manager, in the transaction that moves its
    checkpoint. It records what the process did (``stage``), never what it should
    decide next: decisions come from the aggregates. A step that failed for a
    reason the flow does not expect parks the order at the event behind it
    (``parked_version`` of the order's stream); the order's later events wait
    behind it (up to ``seen_version``) while other orders flow on. ``retry_at``
    says when to try again: with backoff a few times, then only after ``retry``.
    """

    RESERVING = "reserving"
    READY_TO_SHIP = "ready_to_ship"
    OUT_OF_STOCK = "out_of_stock"  # released what it had, refunded and cancelled
    RELEASED = "released"  # cancelled after payment: stock released, shipment cancelled
    SHIPPED = "shipped"  # the reserved stock was issued
    STAGES = [(s, s) for s in (RESERVING, READY_TO_SHIP, OUT_OF_STOCK, RELEASED, SHIPPED)]

    order_id = models.UUIDField(unique=True)
    stage = models.CharField(max_length=20, choices=STAGES, default=RESERVING)
    # [{"product_id", "quantity"}] as paid for.
    lines = models.JSONField(default=list, blank=True)
    shipment_id = models.UUIDField(null=True, blank=True)
    correlation_id = models.UUIDField(null=True, blank=True)
    # The order stream's last version delivered to the process, handled or waiting.
    seen_version = models.PositiveIntegerField(default=0)
    parked_version = models.PositiveIntegerField(null=True, blank=True)
    parked_event = models.CharField(max_length=64, blank=True)
    parked_step = models.CharField(max_length=100, blank=True)
    parked_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    error_traceback = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "fulfillment processes"
        indexes = [models.Index(fields=["retry_at"], name="fulfillment_retry_at")]

    def __str__(self) -> str:
        parked = f", parked at {self.parked_step}" if self.parked else ""
        return f"fulfillment of order {self.order_id}: {self.stage}{parked}"

    @property
    def parked(self) -> bool:
        return self.parked_version is not None

    def unpark(self) -> None:
        self.parked_version = self.parked_at = self.retry_at = None
        self.parked_event = self.parked_step = self.error = self.error_traceback = ""
        self.attempts = 0


# Registered with the app here; defined beside the runner that writes it.
from orders.processes.state import ProcessState  # noqa: E402

__all__ = ["CustomerAccount", "EmailClaim", "FulfillmentProcess", "OrderNumber", "ProcessState"]
