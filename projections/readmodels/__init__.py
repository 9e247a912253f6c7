"""Chronicle's projections; importing this package registers them (see ``apps.py``)."""

from projections.handlers import catalog, customers, order_details, orders

__all__ = ["catalog", "customers", "order_details", "orders"]
