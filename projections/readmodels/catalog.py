"""The catalog: products with price and stock.

Stock follows the product's inventory stream, whose events carry the levels after
them: ``on_hand`` (``StockReceived``, ``StockIssued``) and ``reserved``
(``StockReserved``, ``StockReleased``, ``StockIssued``). Available stock is
on hand less reserved, the figure the write side checks orders against. Setting
levels, rather than adding quantities, makes a replayed event change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import models

from eventstore.events import DomainEvent
from eventstore.store import RecordedEvent
from orders.events import (
    ProductAdded,
    ProductPriceChanged,
    StockIssued,
    StockReceived,
    StockReleased,
    StockReserved,
)
from projections.engine.projection import Projection, first_sight, handles, register
from projections.engine.read_model import ReadModel
from projections.engine.rows import Key, Rows
from projections.readmodels.money import CentsField


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


@register
class CatalogProjection(Projection):
    name = "catalog"
    tables = (CatalogProduct,)

    def keys(self, event: DomainEvent) -> Iterable[Key]:
        yield CatalogProduct, event.product_id  # type: ignore[attr-defined]

    @handles(ProductAdded)
    def product_added(self, rows: Rows, e: ProductAdded, r: RecordedEvent) -> None:
        row = rows.edit_or_create(CatalogProduct, e.product_id)
        if first_sight(row, r):
            row.sku, row.name, row.image_url, row.price = e.sku, e.name, e.image_url, e.price

    @handles(ProductPriceChanged)
    def product_price_changed(self, rows: Rows, e: ProductPriceChanged, r: RecordedEvent) -> None:
        row = rows.edit_or_create(CatalogProduct, e.product_id)
        if first_sight(row, r):
            row.price = e.price

    @handles(StockReceived)
    def stock_received(self, rows: Rows, e: StockReceived, r: RecordedEvent) -> None:
        _stock(rows, e.product_id, r, on_hand=e.on_hand)

    @handles(StockReserved, StockReleased)
    def stock_reserved_or_released(
        self, rows: Rows, e: StockReserved | StockReleased, r: RecordedEvent
    ) -> None:
        _stock(rows, e.product_id, r, reserved=e.reserved)

    @handles(StockIssued)
    def stock_issued(self, rows: Rows, e: StockIssued, r: RecordedEvent) -> None:
        _stock(rows, e.product_id, r, on_hand=e.on_hand, reserved=e.reserved)


def _stock(rows: Rows, product_id: object, r: RecordedEvent, **levels: int) -> None:
    """Set the product's stock levels from an inventory event (the product keeps its version)."""
    row = rows.edit_or_create(CatalogProduct, product_id)
    for level, value in levels.items():
        setattr(row, f"stock_{level}", value)
    row.position = r.position
