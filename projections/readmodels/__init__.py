"""Chronicle's read models, one module each with its tables and its projection;
importing this package registers them (``projections.models`` does)."""

# The order of registration is the order runners advance them and status lists them.
# isort: off
from projections.readmodels import catalog, customer_directory, customer_statistics
from projections.readmodels import order_list, order_details
# isort: on

__all__ = ["catalog", "customer_directory", "customer_statistics", "order_list", "order_details"]
