"""Read models: the denormalized tables queries read, and the projections' bookkeeping.

Every read-model row carries three columns besides its data:

- ``generation``: the build of its projection that wrote it. Queries read the
  generation named active in ``ProjectionState``; a rebuild writes the next one
  beside it and switches in one transaction (see ``projections.rebuilding``).
- ``position``: the global position of the last event applied to the row, from
  any stream (an order row also changes when its customer's email changes).
- ``version``: the version of the row's own stream (the order, customer or
  product) at the last event of that stream applied; for orders it is the ETag.

Amounts are ``CentsField`` columns (``projections.money``): ``Decimal`` here, whole
cents in the database, exact on both backends.

Projections write these tables only from events, never from the write side's
tables; a projection that needs facts from other streams keeps them in its own
``Lookup`` rows, so a rebuild reproduces exactly what live catch-up produced.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from django.db import models

from eventstore import store
from projections.money import CentsField

ORDER_STATUSES = [(s, s) for s in ("PENDING", "PAID", "SHIPPED", "CANCELLED")]
FULFILLMENT_STATES = [
    (s, s) for s in ("awaiting_payment", "reserving", "ready_to_ship", "shipped", "refunded")
]


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
    retired_generation = models.PositiveIntegerField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    failed_track = models.CharField(max_length=16, blank=True)  # "live" or "rebuild"
    error = models.TextField(blank=True)
    error_position = models.BigIntegerField(null=True, blank=True)
    error_traceback = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    # A subscriber runner's lease (projections.locks.lease): who holds it, until when.
    leased_by = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("rebuild_projection", "Can rebuild or retry a projection")]

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
        self.error_position = self.retry_at = None


class CatchUpRequest(models.Model):
    """A single row saying a catch-up task is queued and not yet started (dedupe)."""

    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"catch-up requested at {self.requested_at}" if self.requested_at else "idle"


class ReadModel(models.Model):
    """Base of every table a projection writes; ``key_field`` names the row's natural key."""

    key_field: ClassVar[str]

    generation = models.PositiveIntegerField()
    position = models.BigIntegerField()
    version = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @classmethod
    def partition(cls, projection: str, generation: int) -> dict[str, Any]:
        """The filter selecting one projection generation's rows of this table."""
        return {"generation": generation}


class OrderFields(ReadModel):
    key_field = "order_id"

    order_id = models.UUIDField()
    order_number = models.CharField(max_length=32)
    customer_id = models.UUIDField()
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    total_amount = CentsField()
    currency = models.CharField(max_length=3)
    item_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=ORDER_STATUSES)
    fulfillment = models.CharField(
        max_length=20, choices=FULFILLMENT_STATES, default="awaiting_payment"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.order_number} ({self.status})"


class OrderSummary(OrderFields):
    """A row of the order list (projection ``order_list``)."""

    class Meta:
        verbose_name_plural = "order summaries"
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


class OrderDetail(OrderFields):
    """One order with its lines and timeline (projection ``order_details``).

    ``lines`` holds ``{product_id, product_name, product_image_url, quantity,
    unit_price, line_total, reservation}`` (``reservation``: None, ``reserved``,
    ``released`` or ``issued``, from the product's inventory events for this
    order); ``timeline`` holds ``{event_type, version, position, occurred_at,
    description}``, oldest first. ``shipment_status`` is ``CREATED`` or
    ``CANCELLED`` once the fulfillment process made a shipment.
    """

    customer_phone = models.CharField(max_length=50, blank=True)
    lines = models.JSONField(default=list)
    shipping_address = models.JSONField(default=dict)
    payment_status = models.CharField(max_length=16, default="UNPAID")
    payment_id = models.CharField(max_length=200, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=200, blank=True)
    shipment_id = models.UUIDField(null=True, blank=True)
    shipment_status = models.CharField(max_length=16, blank=True)
    timeline = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["generation", "order_id"], name="order_detail_key"),
        ]
        indexes = [models.Index(fields=["generation", "customer_id"], name="order_detail_customer")]


class CustomerStatistics(ReadModel):
    """Per customer order figures (projection ``customer_statistics``).

    ``spending_orders`` counts the orders paid and not cancelled, the ones behind
    ``total_spent`` and the average order value. A paid order that is cancelled is
    refunded: it leaves ``total_spent`` and counts in ``orders_refunded`` and
    ``total_refunded``.
    """

    key_field = "customer_id"

    customer_id = models.UUIDField()
    orders_placed = models.PositiveIntegerField(default=0)
    orders_paid = models.PositiveIntegerField(default=0)
    orders_shipped = models.PositiveIntegerField(default=0)
    orders_cancelled = models.PositiveIntegerField(default=0)
    spending_orders = models.PositiveIntegerField(default=0)
    total_spent = CentsField(default=Decimal("0.00"))
    orders_refunded = models.PositiveIntegerField(default=0)
    total_refunded = CentsField(default=Decimal("0.00"))
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "customer statistics"
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "customer_id"], name="customer_statistics_key"
            ),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id}: {self.orders_placed} orders"

    @property
    def average_order_value(self) -> Decimal:
        if not self.spending_orders:
            return Decimal("0.00")
        return (Decimal(self.total_spent) / self.spending_orders).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )


class CatalogProduct(ReadModel):
    """A product with its price and stock levels (projection ``catalog``).

    Available stock is on hand less reserved for paid orders, as the write side counts it.
    """

    key_field = "product_id"

    product_id = models.UUIDField()
    sku = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200, blank=True)
    image_url = models.CharField(max_length=500, blank=True)
    price = CentsField(default=Decimal("0.00"))
    stock_on_hand = models.IntegerField(default=0)
    stock_reserved = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "product_id"], name="catalog_product_key"
            ),
        ]
        indexes = [models.Index(fields=["generation", "sku"], name="catalog_product_sku")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def available_stock(self) -> int:
        return max(self.stock_on_hand - self.stock_reserved, 0)


class DirectoryCustomer(ReadModel):
    """A customer's directory entry (projection ``customer_directory``)."""

    key_field = "customer_id"

    customer_id = models.UUIDField()
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254)
    phone = models.CharField(max_length=50, blank=True)
    registered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "customer_id"], name="directory_customer_key"
            ),
        ]
        indexes = [models.Index(fields=["generation", "name"], name="directory_customer_name")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Lookup(ReadModel):
    """A projection's private memory of facts from other streams.

    ``key`` is ``"<kind>:<id>"`` (``customer:…``, ``product:…``, ``order:…``);
    ``data`` is whatever the projection needs from that stream.
    """

    key_field = "key"

    projection = models.CharField(max_length=64)
    key = models.CharField(max_length=100)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["projection", "generation", "key"], name="lookup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.projection}/{self.key}"

    @classmethod
    def partition(cls, projection: str, generation: int) -> dict[str, Any]:
        return {"projection": projection, "generation": generation}
