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

    @classmethod
    def allocate(cls) -> str:
        return f"ORD-{cls.objects.create().pk:06d}"
