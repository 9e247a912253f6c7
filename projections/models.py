"""The module Django loads for the app's models: it defines none and re-exports the
bookkeeping tables of ``engine/`` and the read-model tables of ``readmodels/`` (Django
registers a model of any module of the app that this one imports).

Read models are the denormalized tables queries read.

Every read-model row carries three columns besides its data:

- ``generation``: the build of its projection that wrote it. Queries read the
  generation named active in ``ProjectionState``; a rebuild writes the next one
  beside it and switches in one transaction (see ``projections.engine.rebuilding``).
- ``position``: the global position of the last event applied to the row, from
  any stream (an order row also changes when its customer's email changes).
- ``version``: the version of the row's own stream (the order, customer or
  product) at the last event of that stream applied; for orders it is the ETag.

Amounts are ``CentsField`` columns (``projections.readmodels.money``): ``Decimal`` here, whole
cents in the database, exact on both backends.

Projections write these tables only from events, never from the write side's
tables; a projection that needs facts from other streams keeps them in its own
``Lookup`` rows, so a rebuild reproduces exactly what live catch-up produced.
"""

from projections.engine.read_model import Lookup, ReadModel
from projections.engine.state import (
    CatchUpRequest,
    ProjectionProgress,
    ProjectionState,
    RebuildDecision,
)
from projections.readmodels.catalog import CatalogProduct
from projections.readmodels.customer_directory import DirectoryCustomer
from projections.readmodels.customer_statistics import CustomerStatistics
from projections.readmodels.order_details import OrderDetail
from projections.readmodels.order_list import OrderSummary
from projections.readmodels.order_rows import FULFILLMENT_STATES, ORDER_STATUSES, OrderFields

__all__ = [
    "FULFILLMENT_STATES",
    "ORDER_STATUSES",
    "CatalogProduct",
    "CatchUpRequest",
    "CustomerStatistics",
    "DirectoryCustomer",
    "Lookup",
    "OrderDetail",
    "OrderFields",
    "OrderSummary",
    "ProjectionProgress",
    "ProjectionState",
    "RebuildDecision",
    "ReadModel",
]
