"""The largest values the domain's bounds allow, derived from ``orders.bounds``, through
every command, every projection, a rebuild, ``/state`` and the admin pages.

The suite runs on SQLite and on PostgreSQL (CI does both): on either, what a read
model answers must equal, digit for digit, what the write side recorded.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from eventstore.models import Event
from orders.bounds import (
    CENTS,
    MAX_LINES,
    MAX_ORDER_TOTAL,
    MAX_PRICE,
    MAX_QUANTITY,
    MAX_STOCK_RECEIPT,
)
from projections.engine import rebuilding, runner
from projections.engine.projection import all_projections
from projections.models import ProjectionState
from tests.api.conftest import ADDRESS
from tests.browser.admin_users import make_staff
from tests.fulfillment import run_fulfillment
from tests.projections.test_rebuild import snapshot

pytestmark = pytest.mark.django_db

# The cheapest price, bought MAX_QUANTITY times on each line but the last.
CHEAP = CENTS
CHEAP_LINES = MAX_LINES - 1
# The last line brings the order to exactly MAX_ORDER_TOTAL.
REST = MAX_ORDER_TOTAL - CHEAP * MAX_QUANTITY * CHEAP_LINES
assert CENTS <= REST <= MAX_PRICE
# Paid and kept: the full order and one of REST; one more at MAX_ORDER_TOTAL was refunded.
SPENT = MAX_ORDER_TOTAL + REST


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENTS))


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def catch_up() -> None:
    run_fulfillment()
    while runner.advance(max_batches=100).behind:
        pass


def no_projection_failed() -> None:
    failed = ProjectionState.objects.exclude(error="").values_list("name", "error")
    assert not failed, list(failed)


@pytest.fixture
def largest(staff):
    """A history of orders at the bounds, made through every command of the API."""
    customer = ok(
        staff.post(
            "/api/customers/", {"name": "Max", "email": "max@example.com", "phone": "+3211"}
        ),
        201,
    )["id"]
    ok(staff.post(f"/api/customers/{customer}/change-email", {"email": "max@big.example"}))

    def product(sku: str, price: Decimal) -> str:
        product_id = ok(
            staff.post("/api/products/", {"sku": sku, "name": sku, "price": money(price)}), 201
        )["id"]
        ok(staff.post(f"/api/products/{product_id}/receive-stock", {"quantity": MAX_STOCK_RECEIPT}))
        return product_id

    cheap = [product(f"CHEAP-{n}", CHEAP) for n in range(CHEAP_LINES)]
    rest = product("REST", REST)
    dear = product("DEAR", Decimal("1.00"))
    ok(staff.post(f"/api/products/{dear}/change-price", {"price": money(MAX_PRICE)}))

    def order(*items: tuple[str, int]) -> str:
        body = {
            "customer_id": customer,
            "items": [{"product_id": p, "quantity": q} for p, q in items],
            "shipping_address": ADDRESS,
        }
        return ok(staff.post("/api/orders/", body), 201)["id"]

    # Every line but one at MAX_QUANTITY (the first reaching it by a later addition),
    # then the last line, which brings the order to MAX_LINES lines and MAX_ORDER_TOTAL.
    full = order((cheap[0], MAX_QUANTITY - 1), *((p, MAX_QUANTITY) for p in cheap[1:]))
    ok(staff.post(f"/api/orders/{full}/items", {"product_id": cheap[0], "quantity": 1}))
    ok(staff.post(f"/api/orders/{full}/items", {"product_id": rest, "quantity": 1}))
    ok(staff.post(f"/api/orders/{full}/pay", {"payment_id": "pay-full"}))

    refunded = order((dear, 1))
    ok(staff.post(f"/api/orders/{refunded}/pay", {"payment_id": "pay-refunded"}))

    trimmed = order((rest, 1), (cheap[0], MAX_QUANTITY))
    ok(staff.post(f"/api/orders/{trimmed}/items/{cheap[0]}/remove"))
    ok(staff.post(f"/api/orders/{trimmed}/pay", {"payment_id": "pay-trimmed"}))

    pending = order((dear, 1))

    catch_up()  # fulfillment reserves the paid orders' stock
    ok(staff.post(f"/api/orders/{full}/ship", {"carrier": "DHL", "tracking_number": "T-1"}))
    ok(staff.post(f"/api/orders/{refunded}/cancel", {"reason": "too dear"}))
    catch_up()
    return {
        "customer": customer,
        "dear": dear,
        "full": full,
        "refunded": refunded,
        "trimmed": trimmed,
        "pending": pending,
        "cheap": cheap[1],
    }


def test_the_largest_amounts_pass_through_the_query_api_exactly(staff, largest):
    no_projection_failed()
    top = money(MAX_ORDER_TOTAL)

    listed = ok(staff.get("/api/orders/", ordering="-total_amount", min_amount=top))["results"]
    assert {row["order_id"]: row["total_amount"] for row in listed} == {
        largest[name]: top for name in ("full", "refunded", "pending")
    }
    assert ok(staff.get(f"/api/orders/{largest['trimmed']}"))["total_amount"] == money(REST)

    full = ok(staff.get(f"/api/orders/{largest['full']}"))
    assert full["total_amount"] == top and full["status"] == "SHIPPED"
    assert len(full["lines"]) == MAX_LINES
    assert sum(line["quantity"] for line in full["lines"]) == MAX_QUANTITY * CHEAP_LINES + 1
    assert sum(Decimal(line["line_total"]) for line in full["lines"]) == MAX_ORDER_TOTAL
    assert ok(staff.get(f"/api/orders/{largest['refunded']}"))["payment"]["status"] == "REFUNDED"

    statistics = ok(staff.get(f"/api/customers/{largest['customer']}/statistics"))
    assert statistics["total_spent"] == money(SPENT)
    assert statistics["average_order_value"] == money(SPENT / 2)
    assert statistics["total_refunded"] == top
    assert ok(staff.get(f"/api/products/{largest['dear']}"))["price"] == money(MAX_PRICE)


def test_the_state_of_the_largest_order_is_answered_at_every_version(staff, largest):
    order = largest["full"]
    versions = Event.objects.filter(stream_id=f"order-{order}").count()
    for version in range(1, versions + 1):
        ok(staff.get(f"/api/orders/{order}/state", version=version))
    state = ok(staff.get(f"/api/orders/{order}/state"))
    assert state["total_amount"] == money(MAX_ORDER_TOTAL)
    assert max(item["quantity"] for item in state["items"]) == MAX_QUANTITY


def test_a_rebuild_of_the_largest_amounts_equals_live_catch_up(staff, largest):
    live = snapshot()
    answers = ok(staff.get(f"/api/customers/{largest['customer']}/statistics"))
    for projection in all_projections():
        rebuilding.start(projection.name)
    catch_up()
    no_projection_failed()
    assert snapshot() == live
    assert ok(staff.get(f"/api/customers/{largest['customer']}/statistics")) == answers


def test_the_admin_pages_show_the_largest_amounts(client, largest):
    client.force_login(make_staff("viewer"))
    top, spent = money(MAX_ORDER_TOTAL), money(SPENT)
    order = largest["full"]
    pages = {
        "/admin/": [],
        "/admin/projections/ordersummary/": [top],
        "/admin/projections/orderdetail/": [top],
        reverse("admin:projections_orderdetail_change", args=[order]): [top],
        reverse("admin:projections_orderdetail_time_travel", args=[order]): [top],
        f"{reverse('admin:projections_orderdetail_time_travel', args=[order])}?version=1": [],
        "/admin/projections/customerstatistics/": [spent],
        reverse("admin:projections_customerstatistics_change", args=[largest["customer"]]): [
            spent,
            top,
        ],
        "/admin/projections/catalogproduct/": [money(MAX_PRICE)],
        reverse("admin:projections_catalogproduct_change", args=[largest["dear"]]): [
            money(MAX_PRICE)
        ],
        "/admin/projections/projectionstate/": [],
    }
    for url, amounts in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for amount in amounts:
            assert amount in page, (url, amount)


def test_an_order_past_the_largest_total_is_refused_and_changes_nothing(staff, largest):
    """The issue's order: the dearest product, 200 times."""
    before = Event.objects.count()
    body = {
        "customer_id": largest["customer"],
        "items": [{"product_id": largest["dear"], "quantity": 200}],
        "shipping_address": ADDRESS,
    }
    response = staff.post("/api/orders/", body)
    assert response.status_code == 409, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "order_total_too_large"

    pending = largest["pending"]
    one_cent_more = staff.post(
        f"/api/orders/{pending}/items", {"product_id": largest["dear"], "quantity": 1}
    )
    assert one_cent_more.status_code == 409, one_cent_more.content
    assert one_cent_more.json()["code"] == "order_total_too_large"
    assert Event.objects.count() == before


def test_a_line_past_the_largest_quantity_is_refused_and_changes_nothing(staff, largest):
    body = {
        "customer_id": largest["customer"],
        "items": [{"product_id": largest["cheap"], "quantity": MAX_QUANTITY}],
        "shipping_address": ADDRESS,
    }
    order = ok(staff.post("/api/orders/", body), 201)["id"]
    before = Event.objects.count()
    response = staff.post(
        f"/api/orders/{order}/items", {"product_id": largest["cheap"], "quantity": 1}
    )
    assert response.status_code == 409, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "quantity_too_large"
    assert Event.objects.count() == before
