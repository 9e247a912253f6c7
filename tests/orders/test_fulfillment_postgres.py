"""Orders competing for stock, with real threads and connections on PostgreSQL."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest
from django.db import connections

from eventstore import store
from eventstore.errors import ConcurrencyError
from orders import commands as c
from orders.errors import InsufficientStock
from orders.handlers import execute
from orders.processes import locks
from orders.processes import runner as subscribers
from orders.processes.fulfillment import NAME, process_manager
from tests.fulfillment import run_fulfillment
from tests.orders.shop import Shop, events, of_order, order, stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ORDERS, UNITS = 20, 10


def in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait(10)
            results[n] = work(n)
        except BaseException as error:  # reported by the assertions
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def never_negative(product_id) -> bool:
    """Replaying the inventory: at no point was more reserved than on hand."""
    levels = [(e.data.get("on_hand"), e.data.get("reserved")) for e in _inventory(product_id)]
    on_hand = reserved = 0
    for new_on_hand, new_reserved in levels:
        on_hand = on_hand if new_on_hand is None else new_on_hand
        reserved = reserved if new_reserved is None else new_reserved
        if reserved > on_hand or reserved < 0:
            return False
    return True


def _inventory(product_id) -> list[store.RecordedEvent]:
    return store.read_stream(f"inventory-{product_id}")


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_twenty_paid_orders_competing_for_ten_units_reserve_exactly_ten(shop, monkeypatch):
    rare = shop.product("RARE", UNITS)
    order_ids = [shop.order((rare, 1)) for _ in range(ORDERS)]
    locks.ensure(NAME)
    inside, most_inside, guard = [0], [0], threading.Lock()
    react = process_manager.react

    def counting_react(recorded):
        with guard:
            inside[0] += 1
            most_inside[0] = max(most_inside[0], inside[0])
        try:
            return react(recorded)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(process_manager, "react", counting_react)

    def pay_and_run(n: int) -> None:
        execute(c.PayOrder(order_id=order_ids[n], payment_id=f"pay-{n}"))
        subscribers.advance([NAME])

    results = in_threads(ORDERS, pay_and_run)
    run_fulfillment()

    assert results == [None] * ORDERS
    assert most_inside[0] == 1, "one runner at a time"
    fates = [order(order_id) for order_id in order_ids]
    ready = [o for o in fates if o.fulfillment == "ready_to_ship"]
    refunded = [o for o in fates if o.status == "CANCELLED"]
    assert (len(ready), len(refunded)) == (UNITS, ORDERS - UNITS)
    assert {o.cancel_reason for o in refunded} == {"insufficient_stock"}
    assert all(of_order(o.id)[-2:] == ["OrderRefunded", "OrderCancelled"] for o in refunded)
    assert (stock(rare).on_hand, stock(rare).reserved, stock(rare).available) == (UNITS, UNITS, 0)
    assert len(events("StockReserved")) == UNITS and not events("StockReleased")
    assert never_negative(rare)


def test_twenty_concurrent_reservations_of_ten_units_never_overbook(shop):
    rare = shop.product("RARE", UNITS)
    order_ids = [uuid4() for _ in range(ORDERS)]

    def reserve(n: int) -> str:
        command_id = uuid4()
        while True:  # what parking and retrying do for the process manager
            try:
                execute(
                    c.ReserveStock(
                        command_id=command_id, product_id=rare, order_id=order_ids[n], quantity=1
                    )
                )
                return "reserved"
            except InsufficientStock:
                return "short"
            except ConcurrencyError:
                continue

    results = in_threads(ORDERS, reserve)

    assert sorted(results) == ["reserved"] * UNITS + ["short"] * (ORDERS - UNITS)
    assert (stock(rare).reserved, stock(rare).available) == (UNITS, 0)
    assert [e.version for e in _inventory(rare)] == list(range(1, UNITS + 2))
    assert never_negative(rare)
