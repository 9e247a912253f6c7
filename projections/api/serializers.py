"""Output shapes of the query API: snake_case, amounts as two-place decimal strings,
timestamps as ISO 8601."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from rest_framework import serializers

from orders.bounds import INT64_MAX
from orders.status import STATUSES, Fulfillment
from projections.api import enums
from projections.api.enums import EnumField

# Every amount a read model's cents column can hold: 19 digits, two after the point.
AMOUNT_DIGITS = len(str(INT64_MAX))


def money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=2, coerce_to_string=True, **kwargs
    )


def identifier(source: str) -> serializers.UUIDField:
    """``id``: the resource's identifier under the name every resource answers it by."""
    return serializers.UUIDField(source=source, help_text=f"The same as `{source}`.")


class OrderSummaryOut(serializers.Serializer):
    id = identifier("order_id")
    order_id = serializers.UUIDField()
    order_number = serializers.CharField()
    customer_id = serializers.UUIDField()
    customer_name = serializers.CharField()
    customer_email = serializers.CharField()
    total_amount = money()
    currency = serializers.CharField()
    item_count = serializers.IntegerField()
    status = EnumField(STATUSES)
    fulfillment = EnumField(
        Fulfillment.STATES,
        help_text="How far the goods are: stock is reserved after payment; staff may ship "
        "once READY_TO_SHIP; REFUNDED when a paid order was cancelled.",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(help_text="The order's stream version (its ETag).")


class OrderLineOut(serializers.Serializer):
    product_id = serializers.UUIDField()
    product_name = serializers.CharField()
    product_image_url = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = money()
    line_total = money()
    reservation = EnumField(
        enums.RESERVATIONS,
        allow_null=True,
        default=None,
        help_text="The line's stock: RESERVED after payment, RELEASED when the order was "
        "cancelled, ISSUED when it shipped; null before any of these.",
    )


class AddressOut(serializers.Serializer):
    line1 = serializers.CharField()
    line2 = serializers.CharField(default="")
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()


class PaymentOut(serializers.Serializer):
    status = EnumField(enums.PAYMENT_STATES, source="payment_status")
    payment_id = serializers.CharField()


class ShippingOut(serializers.Serializer):
    carrier = serializers.CharField()
    tracking_number = serializers.CharField(
        help_text="The carrier's, given when the order shipped; empty before."
    )
    shipment_id = serializers.UUIDField(allow_null=True)
    shipment_reference = serializers.CharField(
        help_text="Chronicle's own reference of the shipment (CHR...), the label's id, "
        "once the stock is reserved; empty before. Not a tracking number."
    )
    shipment_status = EnumField(
        enums.SHIPMENT_STATES,
        allow_blank=True,
        help_text="CREATED once the stock is reserved, then SHIPPED with the order or "
        "CANCELLED with it; empty before.",
    )


class StoredDateTimeField(serializers.DateTimeField):
    """A time kept as an ISO 8601 string in a JSON column, rendered like every other time."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return super().to_representation(value)


class TimelineEntryOut(serializers.Serializer):
    event_type = serializers.CharField()
    version = serializers.IntegerField()
    position = serializers.IntegerField()
    occurred_at = StoredDateTimeField()
    description = serializers.CharField()


class OrderDetailOut(OrderSummaryOut):
    customer_phone = serializers.CharField()
    lines = OrderLineOut(many=True)
    shipping_address = AddressOut()
    payment = PaymentOut(source="*")
    shipping = ShippingOut(source="*")
    timeline = TimelineEntryOut(many=True)


class CustomerStatisticsOut(serializers.Serializer):
    id = identifier("customer_id")
    customer_id = serializers.UUIDField()
    orders_placed = serializers.IntegerField()
    orders_paid = serializers.IntegerField(help_text="Orders ever paid, cancelled later or not.")
    orders_shipped = serializers.IntegerField()
    orders_cancelled = serializers.IntegerField()
    total_spent = money(help_text="Sum of the orders paid and not cancelled.")
    average_order_value = money(help_text="Of the orders paid and not cancelled; 0.00 without any.")
    orders_refunded = serializers.IntegerField(help_text="Paid orders cancelled and refunded.")
    total_refunded = money(help_text="Sum of the refunds.")
    first_order_at = serializers.DateTimeField(allow_null=True)
    last_order_at = serializers.DateTimeField(allow_null=True)


class DirectoryCustomerOut(serializers.Serializer):
    id = identifier("customer_id")
    customer_id = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    registered_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class CatalogProductOut(serializers.Serializer):
    id = identifier("product_id")
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    image_url = serializers.CharField()
    price = money()
    currency = serializers.SerializerMethodField()
    available_stock = serializers.IntegerField()
    version = serializers.IntegerField()

    def get_currency(self, product: object) -> str:
        return settings.SHOP_CURRENCY


class ProductStockOut(serializers.Serializer):
    id = identifier("product_id")
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    on_hand = serializers.IntegerField(source="stock_on_hand", help_text="In the warehouse.")
    reserved = serializers.IntegerField(
        source="stock_reserved", help_text="Set aside for paid orders not shipped yet."
    )
    available = serializers.IntegerField(
        source="available_stock", help_text="On hand less reserved: what new orders may take."
    )
    position = serializers.IntegerField(help_text="The last event applied to this row.")


class StatusChangeOut(serializers.Serializer):
    status = EnumField(STATUSES)
    timestamp = serializers.DateTimeField()
    version = serializers.IntegerField()


class OrderItemOut(serializers.Serializer):
    product_id = serializers.UUIDField()
    product_name = serializers.CharField(help_text="The name the order recorded for it.")
    quantity = serializers.IntegerField()
    unit_price = money()
    line_total = money()


class StatePaymentOut(serializers.Serializer):
    payment_id = serializers.CharField(help_text="Empty before the order was paid.")


class StateShippingOut(serializers.Serializer):
    shipment_id = serializers.UUIDField(
        allow_null=True, help_text="Set once the stock is reserved."
    )
    shipment_reference = serializers.CharField(
        help_text="Chronicle's reference of the shipment (its label), set once stock is reserved."
    )
    carrier = serializers.CharField(help_text="Empty before the order shipped.")
    tracking_number = serializers.CharField(
        help_text="The carrier's; empty before the order shipped."
    )


class OrderStateOut(serializers.Serializer):
    """``orders.temporal.OrderAsItWas``, whole: what the admin's time travel shows."""

    id = serializers.UUIDField(source="order_id")
    order_id = serializers.UUIDField()
    order_number = serializers.CharField()
    customer_id = serializers.UUIDField()
    status = EnumField(STATUSES)
    fulfillment = EnumField(Fulfillment.STATES, help_text="How far the goods were.")
    items = OrderItemOut(many=True, source="lines")
    total_amount = money(source="total")
    currency = serializers.CharField()
    shipping_address = AddressOut(allow_null=True)
    payment = StatePaymentOut(source="*")
    shipping = StateShippingOut(source="*")
    cancel_reason = serializers.CharField(help_text="Empty unless the order was cancelled.")
    version = serializers.IntegerField(help_text="The version shown.")
    recorded_at = serializers.DateTimeField(help_text="When that version's event was recorded.")
    as_of = serializers.DateTimeField(
        help_text="The instant asked for, else the time of the version's event."
    )


class StreamEventOut(serializers.Serializer):
    event_type = serializers.CharField()
    version = serializers.IntegerField()
    position = serializers.IntegerField()
    data = serializers.JSONField()  # type: ignore[assignment]  # DRF pops declared fields
    metadata = serializers.JSONField()
    recorded_at = serializers.DateTimeField()


class LogEventOut(StreamEventOut):
    event_id = serializers.UUIDField()
    stream_id = serializers.CharField()
    stream_type = serializers.CharField()
    schema_version = serializers.IntegerField()
    correlation_id = serializers.UUIDField(allow_null=True)
    causation_id = serializers.UUIDField(allow_null=True)


class LogPageOut(serializers.Serializer):
    results = LogEventOut(many=True)
    next_after = serializers.IntegerField(
        help_text="Pass as `after` to read on (the same when empty)."
    )
    next = serializers.CharField(help_text="The URL of the next page.")


class ProjectionHealthOut(serializers.Serializer):
    """What anyone may know of a projection: its state and lag. Never the error text,
    which can quote SQL and the data it failed on; staff read it in the admin and in
    ``manage.py projections``."""

    name = serializers.CharField()
    state = EnumField(enums.PROJECTION_STATES_STORED)
    lag_events = serializers.IntegerField()
    lag_seconds = serializers.FloatField()


class HealthOut(serializers.Serializer):
    status = EnumField(["ok", "unavailable"])
    database = EnumField(["ok", "unreachable"])
    projections = ProjectionHealthOut(many=True, required=False)
    stuck = serializers.IntegerField(
        required=False,
        help_text="Items on the dead-letter desk waiting longer than its threshold "
        "(DEAD_LETTER_AFTER_SECONDS); they do not change the status code.",
    )
