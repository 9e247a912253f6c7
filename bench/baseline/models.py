from django.db import models


class PlainOrder(models.Model):
    customer_id = models.UUIDField()
    product_id = models.UUIDField()
    quantity = models.PositiveIntegerField()
    shipping_city = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"plain order {self.pk}"
