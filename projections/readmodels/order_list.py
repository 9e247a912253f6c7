"""The order list (projection ``order_list``): one ``OrderSummary`` row per order,
the columns the list filters and sorts on (see ``order_rows`` for its handlers)."""

from __future__ import annotations

from django.db import models

from projections.engine.projection import register
from projections.engine.read_model import Lookup
from projections.readmodels.order_rows import OrderFields, OrderRowsProjection


class OrderSummary(OrderFields):
    """A row of the order list (projection ``order_list``)."""

    class Meta:
        verbose_name = "order list row"
        verbose_name_plural = "order list rows"
        constraints = [
            models.UniqueConstraint(fields=["generation", "order_id"], name="order_summary_key"),
        ]
        indexes = [
            models.Index(
                fields=["generation", "created_at", "order_number"], name="order_summary_created"
            ),
            models.Index(
                fields=["generation", "total_amount", "order_number"], name="order_summary_total"
            ),
            models.Index(fields=["generation", "customer_id"], name="order_summary_customer"),
            models.Index(fields=["generation", "status"], name="order_summary_status"),
        ]


@register
class OrderListProjection(OrderRowsProjection):
    name = "order_list"
    table = OrderSummary
    tables = (OrderSummary, Lookup)
