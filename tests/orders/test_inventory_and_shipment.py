"""Reservations per order: repeatable steps, never negative stock."""

from uuid import uuid4

import pytest

from orders.errors import InsufficientStock, NotReserved
from orders.events import (
    ShipmentCancelled,
    ShipmentLine,
    ShipmentShipped,
    StockIssued,
    StockReleased,
    StockReserved,
)
from orders.inventory import Inventory
from orders.shipment import Shipment, shipment_id_for

ORDER, OTHER = uuid4(), uuid4()


def stocked(quantity: int) -> Inventory:
    inventory = Inventory(id=uuid4())
    inventory.receive(quantity)
    inventory.collect_pending()
    return inventory


def test_reserving_sets_stock_aside_for_the_order():
    inventory = stocked(5)
    inventory.reserve(ORDER, 3)
    assert inventory.pending == [StockReserved(inventory.id, ORDER, 3, 3)]
    assert (inventory.available, inventory.reserved) == (2, 3)


def test_reserving_twice_for_the_same_order_reserves_once():
    inventory = stocked(5)
    inventory.reserve(ORDER, 3)
    inventory.reserve(ORDER, 3)
    assert len(inventory.pending) == 1


def test_reserving_more_than_is_available_is_refused():
    inventory = stocked(5)
    inventory.reserve(OTHER, 4)
    with pytest.raises(InsufficientStock):
        inventory.reserve(ORDER, 2)
    assert inventory.available == 1


def test_releasing_gives_the_stock_back_once():
    inventory = stocked(5)
    inventory.reserve(ORDER, 3)
    inventory.release(ORDER)
    inventory.release(ORDER)
    assert inventory.pending[1:] == [StockReleased(inventory.id, ORDER, 3, 0)]
    assert inventory.available == 5
    inventory.reserve(ORDER, 3)
    assert len(inventory.pending) == 2, "a settled order is never reserved again"


def test_issuing_takes_reserved_stock_off_hand_once():
    inventory = stocked(5)
    inventory.reserve(ORDER, 3)
    inventory.issue(ORDER)
    inventory.issue(ORDER)
    assert inventory.pending[1:] == [StockIssued(inventory.id, ORDER, 3, 2, 0)]
    assert (inventory.on_hand, inventory.available) == (2, 2)


def test_stock_never_reserved_is_never_issued():
    with pytest.raises(NotReserved):
        stocked(5).issue(ORDER)


def test_a_shipment_has_a_reference_derived_from_its_id():
    shipment_id = shipment_id_for(ORDER)
    assert shipment_id == shipment_id_for(ORDER)
    shipment = Shipment.create(shipment_id, order_id=ORDER, lines=(ShipmentLine(uuid4(), 2),))
    assert shipment.reference.startswith("CHR") and shipment.status == "CREATED"
    shipment.cancel("order cancelled")
    shipment.cancel("order cancelled")
    assert shipment.pending[1:] == [ShipmentCancelled(shipment_id, ORDER, "order cancelled")]


def test_a_shipment_ships_once_and_a_shipped_one_is_not_cancelled():
    shipment_id = shipment_id_for(ORDER)
    shipment = Shipment.create(shipment_id, order_id=ORDER, lines=(ShipmentLine(uuid4(), 2),))
    shipment.ship()
    shipment.ship()
    shipment.cancel("too late")
    assert shipment.pending[1:] == [ShipmentShipped(shipment_id, ORDER)]
    assert shipment.status == "SHIPPED"


def test_a_cancelled_shipment_never_ships():
    shipment = Shipment.create(shipment_id_for(ORDER), order_id=ORDER, lines=())
    shipment.cancel("order cancelled")
    shipment.ship()
    assert [type(e).__name__ for e in shipment.pending] == ["ShipmentCreated", "ShipmentCancelled"]


def test_inventory_snapshots_round_trip():
    inventory = stocked(9)
    inventory.reserve(ORDER, 2)
    inventory.reserve(OTHER, 1)
    inventory.release(OTHER)
    restored = Inventory.from_snapshot(inventory.id, inventory.version, inventory.snapshot_state())
    assert restored.reservations == {ORDER: 2} and restored.settled == {OTHER}
    assert (restored.on_hand, restored.reserved, restored.available) == (9, 2, 7)
