"""Read models keep money exactly, on both backends, with room for every sum the
domain's bounds allow, and amounts recorded before the bounds existed stop nothing."""

from __future__ import annotations

from decimal import Decimal

from orders import events as ev
from orders.bounds import MAX_ORDER_TOTAL, MAX_ORDERS_PER_CUSTOMER, MAX_PRICE
from projections.models import ProjectionState
from tests.projections.conftest import catch_up, record

# What the write side accepted before it had an order-total bound (the order):
# the dearest product, 200 times.
UNBOUNDED_TOTAL = MAX_PRICE * 200


def test_an_order_recorded_before_the_bounds_existed_does_not_stop_the_read_side(shop, staff):
    whale, minnow = shop.customer("Whale"), shop.customer("Minnow")
    dear, mug = shop.product("DEAR", str(MAX_PRICE)), shop.product("MUG", "12.50")
    huge = shop.order(whale, (dear, 200))
    shop.pay(huge)
    later = shop.order(minnow, (mug, 1))
    catch_up()

    assert not ProjectionState.objects.exclude(error="").exists()
    listed = staff.get("/api/orders/", ordering="-total_amount").json()["results"]
    assert [(row["order_id"], row["total_amount"]) for row in listed] == [
        (str(huge), f"{UNBOUNDED_TOTAL}"),
        (str(later), "12.50"),
    ]
    assert staff.get(f"/api/orders/{huge}").json()["total_amount"] == f"{UNBOUNDED_TOTAL}"
    spent = staff.get(f"/api/customers/{whale}/statistics").json()["total_spent"]
    assert spent == f"{UNBOUNDED_TOTAL}"
    state = staff.get(f"/api/orders/{huge}/state")
    assert state.status_code == 200, state.content
    assert state.json()["total_amount"] == f"{UNBOUNDED_TOTAL}"


def test_a_customers_total_spent_at_the_stated_headroom_reads_back_to_the_cent(shop, staff):
    """The largest sum the bounds and the stated assumption allow, plus a cent's detail:
    far past the 15 significant digits a float (SQLite's REAL) keeps."""
    headroom = MAX_ORDER_TOTAL * MAX_ORDERS_PER_CUSTOMER
    customer = shop.customer("Loyal")
    product = shop.product("ONE", "0.01")
    # One paid order stands in for the many: the projection adds what it is told.
    first, second = shop.order(customer, (product, 1)), shop.order(customer, (product, 1))
    record(ev.OrderPaid(first, "pay-1", headroom - MAX_ORDER_TOTAL))
    record(ev.OrderPaid(second, "pay-2", MAX_ORDER_TOTAL))
    catch_up()

    assert not ProjectionState.objects.exclude(error="").exists()
    statistics = staff.get(f"/api/customers/{customer}/statistics").json()
    assert statistics["total_spent"] == f"{headroom}"
    assert statistics["average_order_value"] == f"{headroom / 2}"
    assert headroom == Decimal("9999999999990000.00")


def test_amount_filters_compare_exactly_to_the_cent(shop, staff):
    customer = shop.customer()
    ten, ten_and_a_cent = shop.product("TEN", "10.00"), shop.product("MORE", "10.01")
    low, high = shop.order(customer, (ten, 1)), shop.order(customer, (ten_and_a_cent, 1))
    catch_up()

    def listed(**filters) -> set[str]:
        response = staff.get("/api/orders/", **filters)
        assert response.status_code == 200, response.content
        return {row["order_id"] for row in response.json()["results"]}

    # Amounts past two places or twelve digits are a 400 (tests/api/test_hostile_input.py).
    assert listed(min_amount="10.01") == {str(high)}
    assert listed(max_amount="10.00") == {str(low)}
    assert listed(min_amount="10.01", max_amount="10.01") == {str(high)}
    assert listed(min_amount="9999999999.99") == set()
    assert listed(max_amount="9999999999.99") == {str(low), str(high)}


def test_an_older_event_with_a_fraction_of_a_cent_is_rounded_and_stops_nothing(shop, staff):
    """The write side refuses such prices now; events recorded before stay readable."""
    product = shop.product("HALF", "0.005")
    catch_up()
    assert not ProjectionState.objects.exclude(error="").exists()
    assert staff.get(f"/api/products/{product}").json()["price"] == "0.01"
