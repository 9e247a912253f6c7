"""What the read side shows of fulfillment: the order's fulfillment, each line's
reservation, the shipment, refunds in the statistics, and stock levels for staff."""

from __future__ import annotations

from decimal import Decimal

import pytest

from projections.engine.freshness import read_view
from projections.engine.rebuilding import start as start_rebuild
from projections.models import CustomerStatistics, OrderDetail, OrderSummary
from tests.browser.admin_users import make_staff
from tests.projections.conftest import catch_up


def active(model, projection, **key):
    return model.objects.get(generation=read_view(projection).generation, **key)


def details(order_id) -> OrderDetail:
    return active(OrderDetail, "order_details", order_id=order_id)


@pytest.fixture
def story(shop):
    """One order shipped, one cancelled after it was ready, one still reserving."""
    alice = shop.customer()
    mug, tea = shop.product("MUG", "10.00"), shop.product("TEA", "2.00")
    shop.receive(mug, 10)
    shop.receive(tea, 10)
    shipped, cancelled, reserving = (
        shop.order(alice, (mug, 2), (tea, 1)),
        shop.order(alice, (mug, 1)),
        shop.order(alice, (tea, 3)),
    )
    for order_id in (shipped, cancelled):
        shop.pay(order_id)
        shop.reserve(order_id)
        shop.record_shipment(order_id)
        shop.ready_to_ship(order_id)
    shop.pay(reserving)
    shop.ship(shipped)
    shop.issue(shipped)
    shop.ship_shipment(shipped)
    shop.cancel(cancelled)
    shop.release(cancelled)
    shop.cancel_shipment(cancelled)
    catch_up()
    return {"alice": alice, "mug": mug, "tea": tea, "shipped": shipped, "cancelled": cancelled,
            "reserving": reserving}  # fmt: skip


def test_the_order_rows_follow_the_orders_fulfillment(story):
    fulfillment = {
        name: active(OrderSummary, "order_list", order_id=story[name]).fulfillment
        for name in ("shipped", "cancelled", "reserving")
    }
    assert fulfillment == {"shipped": "shipped", "cancelled": "refunded", "reserving": "reserving"}
    assert details(story["cancelled"]).fulfillment == "refunded"


def test_each_line_shows_its_reservation_and_the_shipping_its_shipment(story):
    shipped, cancelled = details(story["shipped"]), details(story["cancelled"])
    assert [line["reservation"] for line in shipped.lines] == ["issued", "issued"]
    assert [line["reservation"] for line in cancelled.lines] == ["released"]
    assert [line["reservation"] for line in details(story["reserving"]).lines] == [None]
    assert (shipped.shipment_status, cancelled.shipment_status) == ("SHIPPED", "CANCELLED")
    assert details(story["reserving"]).shipment_status == ""
    assert cancelled.payment_status == "REFUNDED"
    assert shipped.version == 4, "events of other streams leave the order's ETag alone"


def test_a_shipped_orders_shipment_says_shipped_from_the_order_event_on(shop):
    """The order's OrderShipped moves the shipment at once: a read after the ship
    command sees both shipped, before the shipment's own ShipmentShipped arrives."""
    alice, mug = shop.customer(), shop.product("MUG", "10.00")
    shop.receive(mug, 5)
    order_id = shop.order(alice, (mug, 1))
    shop.pay(order_id)
    shop.reserve(order_id)
    shop.record_shipment(order_id)
    shop.ready_to_ship(order_id)
    catch_up()
    assert details(order_id).shipment_status == "CREATED"

    shop.ship(order_id)
    catch_up()
    assert (details(order_id).status, details(order_id).shipment_status) == ("SHIPPED", "SHIPPED")

    shop.ship_shipment(order_id)
    catch_up()
    assert details(order_id).shipment_status == "SHIPPED"


def test_one_tracking_number_the_carriers_and_the_generated_one_is_the_shipments_reference(
    story, staff
):
    body = staff.get(f"/api/orders/{story['shipped']}").json()
    assert body["shipping"] | {"shipment_id": None} == {
        "carrier": "DHL",
        "tracking_number": "TRK-1",
        "shipment_id": None,
        "shipment_reference": "CHR0001",
        "shipment_status": "SHIPPED",
    }
    notes = {entry["event_type"]: entry["description"] for entry in body["timeline"]}
    assert notes["OrderReadyToShip"] == "Stock reserved; ready to ship, shipment CHR0001"
    assert notes["OrderShipped"] == "Shipped with DHL, tracking number TRK-1"
    assert sum("tracking number" in note for note in notes.values()) == 1

    ready = staff.get(f"/api/orders/{story['cancelled']}").json()["shipping"]
    assert (ready["tracking_number"], ready["shipment_reference"]) == ("", "CHR0001")


def test_statistics_count_refunds_and_spend_only_what_was_kept(story):
    row = active(CustomerStatistics, "customer_statistics", customer_id=story["alice"])
    assert (row.orders_paid, row.orders_cancelled, row.orders_refunded) == (3, 1, 1)
    assert (row.total_refunded, row.total_spent) == (Decimal("10.00"), Decimal("28.00"))


def test_a_rebuild_shows_what_live_catch_up_showed(story):
    before = {row.order_id: (row.lines, row.shipment_status, row.fulfillment, row.position)
              for row in OrderDetail.objects.all()}  # fmt: skip
    start_rebuild("order_details")
    catch_up()
    after = {row.order_id: (row.lines, row.shipment_status, row.fulfillment, row.position)
             for row in OrderDetail.objects.filter(generation=2)}  # fmt: skip
    assert after == before


def test_the_api_shows_fulfillment_reservations_shipment_and_refund(story, staff, login_for):
    listed = staff.get("/api/orders/", fulfillment="ready_to_ship").json()
    assert listed["count"] == 0
    rows = staff.get("/api/orders/").json()["results"]
    assert {row["fulfillment"] for row in rows} == {"SHIPPED", "REFUNDED", "RESERVING"}

    body = staff.get(f"/api/orders/{story['cancelled']}").json()
    assert body["fulfillment"] == "REFUNDED"
    assert body["payment"]["status"] == "REFUNDED"
    assert body["lines"][0]["reservation"] == "RELEASED"
    assert body["shipping"]["shipment_status"] == "CANCELLED"
    assert body["shipping"]["shipment_id"]

    statistics = login_for(story["alice"]).get(f"/api/customers/{story['alice']}/statistics")
    assert (statistics.json()["orders_refunded"], statistics.json()["total_refunded"]) == (
        1,
        "10.00",
    )


def test_staff_see_stock_on_hand_reserved_and_available(story, staff, login_for):
    levels = {row["sku"]: row for row in staff.get("/api/stock/").json()["results"]}
    assert {sku: (r["on_hand"], r["reserved"], r["available"]) for sku, r in levels.items()} == {
        "MUG": (8, 0, 8),
        "TEA": (9, 0, 9),
    }
    tea = staff.get(f"/api/products/{story['tea']}/stock")
    assert tea.status_code == 200 and tea.json()["on_hand"] == 9


def test_customers_may_not_see_stock_levels(story, login_for):
    alice = login_for(story["alice"])
    assert alice.get("/api/stock/").status_code == 403
    assert alice.get(f"/api/products/{story['tea']}/stock").status_code == 403
    assert alice.get(f"/api/products/{story['alice']}/stock").status_code == 404


def test_the_admins_order_page_shows_the_shipment_shipped_and_one_tracking_number(story, client):
    client.force_login(make_staff())
    page = client.get(f"/admin/projections/orderdetail/{story['shipped']}/change/")
    shipping = page.content.decode().split('id="order-shipping"', 1)[1].split("</section>", 1)[0]
    assert "<dt>Tracking</dt><dd><code>TRK-1</code></dd>" in shipping
    assert "<dt>Shipment</dt><dd>Shipped, reference <code>CHR0001</code></dd>" in shipping
