"""Write-side tables that are not events: who may act for which customer, and
the counter behind human-readable order numbers."""

from django.conf import settings
from django.db import models


class CustomerAccount(models.Model):
    """Links a login to the one customer it acts for. Staff logins have none."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_account"
    )
    customer_id = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return f"{self.user} → customer {self.customer_id}"


class OrderNumber(models.Model):
    """Allocates ORD-000123 style numbers; the number is then stored in OrderCreated."""

    id = models.BigAutoField(primary_key=True)

    def __str__(self) -> str:
        return f"ORD-{self.pk:06d}"

    @classmethod
    def allocate(cls) -> str:
        return f"ORD-{cls.objects.create().pk:06d}"


class SkuClaim(models.Model):
    """Keeps skus unique across products: claimed in the ProductAdded transaction."""

    sku = models.CharField(max_length=64, unique=True)
    product_id = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return self.sku


class IdempotencyRecord(models.Model):
    """The first successful response to an Idempotency-Key, stored with the events.

    A PROCESSING row marks a request in flight; it is deleted when the command is
    refused (so a retry runs again) and taken over once it is older than the
    request timeout (its worker died).
    """

    PROCESSING, DONE = "processing", "done"

    key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, default=PROCESSING)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    etag = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
