"""The Product aggregate: what Chronicle sells and at which price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from eventstore.aggregate import Aggregate
from orders.bounds import CENTS, MAX_PRICE
from orders.errors import InvalidCommand, PriceTooLarge
from orders.events import ProductAdded, ProductPriceChanged


def _require_valid(price: Decimal) -> None:
    """Positive, whole cents, at most ``MAX_PRICE``."""
    if price <= 0:
        raise InvalidCommand(f"a price must be positive, not {price}")
    if price != price.quantize(CENTS):
        raise InvalidCommand(f"a price is a whole number of cents, not {price}")
    if price > MAX_PRICE:
        raise PriceTooLarge(f"a price is at most {MAX_PRICE}, not {price}")


@dataclass
class Product(Aggregate):
    stream_type: ClassVar[str] = "product"

    sku: str = ""
    name: str = ""
    image_url: str = ""
    price: Decimal = Decimal("0.00")

    @classmethod
    def add(
        cls, product_id: UUID, *, sku: str, name: str, price: Decimal, image_url: str = ""
    ) -> Product:
        _require_valid(price)
        product = cls(id=product_id)
        product._record(
            ProductAdded(
                product_id=product_id, sku=sku, name=name, price=price, image_url=image_url
            )
        )
        return product

    def change_price(self, price: Decimal) -> None:
        _require_valid(price)
        if price != self.price:
            self._record(ProductPriceChanged(product_id=self.id, price=price))

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError(type(event).__name__)

    @apply.register
    def _added(self, event: ProductAdded) -> None:
        self.sku, self.name, self.price, self.image_url = (
            event.sku,
            event.name,
            event.price,
            event.image_url,
        )

    @apply.register
    def _price_changed(self, event: ProductPriceChanged) -> None:
        self.price = event.price
