"""The Order aggregate: lines, total and the PENDING → PAID → SHIPPED life, or CANCELLED."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from eventstore.aggregate import Aggregate
from orders.bounds import CENTS, MAX_LINES, MAX_ORDER_TOTAL, MAX_QUANTITY
from orders.errors import (
    InvalidTransition,
    ItemNotOnOrder,
    LastItem,
    NotReadyToShip,
    OrderNotPending,
    OrderTotalTooLarge,
    QuantityTooLarge,
    TooManyItems,
)
from orders.events import (
    ORDER_STREAM_TYPE,
    ItemAddedToOrder,
    ItemRemovedFromOrder,
    OrderCancelled,
    OrderCreated,
    OrderLine,
    OrderPaid,
    OrderReadyToShip,
    OrderRefunded,
    OrderShipped,
    ShippingAddress,
)
from orders.status import CANCELLED, PAID, PENDING, SHIPPED, Fulfillment


def total_of(lines: tuple[OrderLine, ...]) -> Decimal:
    return sum((line.line_total for line in lines), Decimal("0")).quantize(CENTS)


def bounded_total(lines: tuple[OrderLine, ...]) -> Decimal:
    """The total of ``lines``, which must keep within the domain's bounds (orders.bounds):
    the read side is sized for no more."""
    for line in lines:
        if line.quantity > MAX_QUANTITY:
            raise QuantityTooLarge(
                f"a line holds at most {MAX_QUANTITY} units, not {line.quantity}"
                f" (product {line.product_id})"
            )
    total = total_of(lines)
    if total > MAX_ORDER_TOTAL:
        raise OrderTotalTooLarge(f"an order costs at most {MAX_ORDER_TOTAL}, not {total}")
    return total


def merge_lines(lines: list[OrderLine]) -> tuple[OrderLine, ...]:
    """One line per product: repeated products add up their quantities."""
    merged: dict[UUID, OrderLine] = {}
    for line in lines:
        if line.product_id in merged:
            first = merged[line.product_id]
            merged[line.product_id] = replace(first, quantity=first.quantity + line.quantity)
        else:
            merged[line.product_id] = line
    return tuple(merged.values())


@dataclass
class Order(Aggregate):
    stream_type: ClassVar[str] = ORDER_STREAM_TYPE
    snapshot_schema_version: ClassVar[int] = 2  # 2: shipment_reference

    order_number: str = ""
    customer_id: UUID | None = None
    status: str = ""
    lines: tuple[OrderLine, ...] = ()
    shipping_address: ShippingAddress | None = None
    total: Decimal = Decimal("0.00")
    currency: str = ""
    payment_id: str = ""
    carrier: str = ""
    tracking_number: str = ""  # the carrier's, from OrderShipped
    cancel_reason: str = ""
    fulfillment: str = ""
    shipment_id: UUID | None = None
    shipment_reference: str = ""  # Chronicle's own, from OrderReadyToShip

    # Commands: check, then record.

    @classmethod
    def create(
        cls,
        order_id: UUID,
        *,
        order_number: str,
        customer_id: UUID,
        lines: list[OrderLine],
        shipping_address: ShippingAddress,
        currency: str,
    ) -> Order:
        merged = merge_lines(lines)
        if len(merged) > MAX_LINES:
            raise TooManyItems(f"an order holds at most {MAX_LINES} lines, not {len(merged)}")
        order = cls(id=order_id)
        order._record(
            OrderCreated(
                order_id=order_id,
                order_number=order_number,
                customer_id=customer_id,
                lines=merged,
                shipping_address=shipping_address,
                total=bounded_total(merged),
                currency=currency,
            )
        )
        return order

    def add_item(
        self, product_id: UUID, product_name: str, quantity: int, unit_price: Decimal
    ) -> None:
        self._require_pending("add items to")
        existing = self.line_for(product_id)
        if existing is None and len(self.lines) >= MAX_LINES:
            raise TooManyItems(f"an order holds at most {MAX_LINES} lines")
        price = existing.unit_price if existing else unit_price
        line_quantity = quantity + (existing.quantity if existing else 0)
        lines = self._lines_with(OrderLine(product_id, product_name, line_quantity, price))
        self._record(
            ItemAddedToOrder(
                order_id=self.id,
                product_id=product_id,
                product_name=product_name,
                quantity=quantity,
                unit_price=price,
                line_quantity=line_quantity,
                total=bounded_total(lines),
            )
        )

    def remove_item(self, product_id: UUID) -> None:
        if self.line_for(product_id) is None:
            raise ItemNotOnOrder(f"no product {product_id} on order {self.order_number}")
        self._require_pending("remove items from")
        if len(self.lines) == 1:
            raise LastItem("the last line cannot be removed; cancel the order instead")
        rest = tuple(line for line in self.lines if line.product_id != product_id)
        self._record(
            ItemRemovedFromOrder(order_id=self.id, product_id=product_id, total=total_of(rest))
        )

    def pay(self, payment_id: str) -> None:
        self._require_pending("pay")
        self._record(OrderPaid(order_id=self.id, payment_id=payment_id, amount=self.total))

    def ship(self, carrier: str, tracking_number: str) -> None:
        """Only stock reserved for the order leaves: paid, then ready to ship."""
        if self.status != PAID:
            raise InvalidTransition(f"only a PAID order can be shipped; this one is {self.status}")
        if self.fulfillment != Fulfillment.READY_TO_SHIP:
            raise NotReadyToShip(
                f"the order's stock is not reserved yet (fulfillment: {self.fulfillment})"
            )
        self._record(
            OrderShipped(order_id=self.id, carrier=carrier, tracking_number=tracking_number)
        )

    def cancel(self, reason: str) -> None:
        """Cancel; a paid order is refunded first, so no money is kept for nothing."""
        if self.status not in (PENDING, PAID):
            raise InvalidTransition(f"a {self.status} order cannot be cancelled")
        if self.status == PAID:
            self._record(OrderRefunded(self.id, self.payment_id, self.total, reason))
        self._record(OrderCancelled(order_id=self.id, reason=reason))

    def mark_ready_to_ship(self, shipment_id: UUID, shipment_reference: str) -> None:
        """Every line is reserved. Repeating it, or a cancellation meanwhile, changes nothing."""
        if self.status == PAID and self.fulfillment == Fulfillment.RESERVING:
            self._record(OrderReadyToShip(self.id, shipment_id, shipment_reference))

    def line_for(self, product_id: UUID) -> OrderLine | None:
        return next((line for line in self.lines if line.product_id == product_id), None)

    def _require_pending(self, action: str) -> None:
        if self.status != PENDING:
            raise OrderNotPending(f"cannot {action} a {self.status} order")

    def _lines_with(self, new: OrderLine) -> tuple[OrderLine, ...]:
        if self.line_for(new.product_id) is None:
            return (*self.lines, new)
        return tuple(new if line.product_id == new.product_id else line for line in self.lines)

    # State: assign only.

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError(type(event).__name__)

    @apply.register
    def _created(self, event: OrderCreated) -> None:
        self.order_number = event.order_number
        self.customer_id = event.customer_id
        self.status = PENDING
        self.lines = event.lines
        self.shipping_address = event.shipping_address
        self.total = event.total
        self.currency = event.currency
        self.fulfillment = Fulfillment.AWAITING_PAYMENT

    @apply.register
    def _item_added(self, event: ItemAddedToOrder) -> None:
        line = OrderLine(
            event.product_id, event.product_name, event.line_quantity, event.unit_price
        )
        self.lines = self._lines_with(line)
        self.total = event.total

    @apply.register
    def _item_removed(self, event: ItemRemovedFromOrder) -> None:
        self.lines = tuple(line for line in self.lines if line.product_id != event.product_id)
        self.total = event.total

    @apply.register
    def _paid(self, event: OrderPaid) -> None:
        self.status = PAID
        self.payment_id = event.payment_id
        self.fulfillment = Fulfillment.RESERVING

    @apply.register
    def _shipped(self, event: OrderShipped) -> None:
        self.status = SHIPPED
        self.carrier = event.carrier
        self.tracking_number = event.tracking_number
        self.fulfillment = Fulfillment.SHIPPED

    @apply.register
    def _ready(self, event: OrderReadyToShip) -> None:
        self.fulfillment = Fulfillment.READY_TO_SHIP
        self.shipment_id = event.shipment_id
        self.shipment_reference = event.shipment_reference

    @apply.register
    def _refunded(self, event: OrderRefunded) -> None:
        self.fulfillment = Fulfillment.REFUNDED

    @apply.register
    def _cancelled(self, event: OrderCancelled) -> None:
        self.status = CANCELLED
        self.cancel_reason = event.reason
