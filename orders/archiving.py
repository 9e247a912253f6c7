"""Which streams are closed for good, and so may be archived once old enough
(``manage.py archive_events``, eventstore/archive.py): the one place that decides it
per stream type. Customers, products and inventory stay hot: they live on."""

from __future__ import annotations

from eventstore import archive
from orders.order import Order
from orders.shipment import Shipment


def register() -> None:
    # An order is closed once shipped, or cancelled (a paid one refunded first).
    archive.close_streams(
        Order.stream_type, after=("OrderShipped", "OrderCancelled", "OrderRefunded")
    )
    # A shipment is closed once it left, or was called off with its order.
    archive.close_streams(Shipment.stream_type, after=("ShipmentShipped", "ShipmentCancelled"))
