"""The write side's event-sourced repositories, one per aggregate: the default wiring.

Handlers reach them through a unit of work (``orders.unit_of_work``); readers that
need an aggregate as the event store has it (the fulfillment process, time travel,
the API's existence checks) use them directly.
"""

from __future__ import annotations

from eventstore.repository import Repository
from orders.customer import Customer
from orders.inventory import Inventory
from orders.order import Order
from orders.product import Product
from orders.shipment import Shipment

orders = Repository(Order)
customers = Repository(Customer)
products = Repository(Product)
inventories = Repository(Inventory)
shipments = Repository(Shipment)
