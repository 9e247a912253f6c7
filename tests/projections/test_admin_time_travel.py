"""Time travel in admin: an order at a version or an instant, replayed from the event store."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from eventstore import store
from orders import commands as c
from orders import temporal
from orders.handlers import execute
from projections.admin import time_travel
from projections.models import OrderDetail, OrderSummary
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import Shop, open_shop, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> Shop:
    return open_shop()


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff())
    return client


def travel(client, order_id, **query):
    url = reverse("admin:projections_orderdetail_time_travel", args=[order_id])
    response = client.get(url, query)
    assert response.status_code == 200, response.status_code
    return response


def fields(response) -> dict[str, tuple[str, str | None, bool]]:
    return {f.label: (f.value, f.before, f.changed) for f in response.context["moment"].fields}


def lines(response) -> list[tuple[str, int, str]]:
    return [(ln.product_name, ln.quantity, ln.change) for ln in response.context["moment"].lines]


def test_version_1_shows_the_order_pending_with_its_original_items(staff_client, shop):
    response = travel(staff_client, shop.paid, version=1)
    assert fields(response)["Status"] == ("PENDING", None, False)
    assert fields(response)["Total"][0] == "49.00 EUR"
    assert lines(response) == [("Chronicle mug", 2, ""), ("Event-sourced T-shirt", 1, "")]
    page = response.content.decode()
    assert "<h2>Order ORD-" in page and "at version 1</h2>" in page
    assert "Immutable pen" not in page.split('id="tt-lines"', 1)[1].split("</table>")[0]
    assert 'class="chronicle-changed' not in page  # nothing came before version 1


def test_a_version_highlights_what_its_event_changed(staff_client, shop):
    added = travel(staff_client, shop.paid, version=2)
    assert fields(added)["Total"] == ("58.60 EUR", "49.00 EUR", True)
    assert fields(added)["Status"] == ("PENDING", "PENDING", False)
    assert lines(added)[-1] == ("Immutable pen", 3, "added")
    page = added.content.decode()
    assert '<tr class="chronicle-changed" data-label="Total">' in page
    assert "was <del>49.00 EUR</del>" in page

    paid = travel(staff_client, shop.paid, version=3)
    assert fields(paid)["Status"] == ("PAID", "PENDING", True)
    assert fields(paid)["Payment"] == ("pay-ada-1", "—", True)
    assert [change for _, _, change in lines(paid)] == ["", "", ""]


def test_removed_and_changed_lines_are_marked(staff_client, shop):
    execute(c.AddItem(order_id=shop.pending, product_id=shop.tee, quantity=2))
    execute(c.AddItem(order_id=shop.pending, product_id=shop.pen, quantity=1))
    execute(c.RemoveItem(order_id=shop.pending, product_id=shop.tee))
    more = travel(staff_client, shop.pending, version=2)
    assert lines(more) == [("Event-sourced T-shirt", 3, "changed")]
    assert "was <del>1</del>" in more.content.decode()
    removed = travel(staff_client, shop.pending, version=4)
    assert lines(removed) == [("Immutable pen", 1, ""), ("Event-sourced T-shirt", 3, "removed")]


def test_the_page_steps_back_and_forward_one_version_and_lists_every_version(staff_client, shop):
    page = travel(staff_client, shop.paid, version=2).content.decode()
    assert 'id="tt-back" href="?version=1"' in page
    assert 'id="tt-forward" href="?version=3"' in page
    versions = page.split('id="tt-versions"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'href="\?version=(\d+)"', versions)[:3] == ["1", "2", "3"]
    first = travel(staff_client, shop.paid, version=1).content.decode()
    assert 'id="tt-back"' not in first
    latest = travel(staff_client, shop.paid).content.decode()
    assert 'id="tt-forward"' not in latest


def test_without_a_version_the_page_shows_the_latest(staff_client, shop):
    response = travel(staff_client, shop.paid)
    moment = response.context["moment"]
    assert moment.version == moment.latest == store.stream_version(f"order-{shop.paid}")


def test_as_of_an_instant_shows_the_last_version_recorded_by_then(staff_client, shop):
    events = store.read_stream(f"order-{shop.paid}")
    at = events[1].recorded_at
    response = travel(staff_client, shop.paid, at=at.isoformat())
    assert response.context["moment"].version == 2
    naive = (at + dt.timedelta(microseconds=1)).replace(tzinfo=None).isoformat()
    assert travel(staff_client, shop.paid, at=naive).context["moment"].version == 2


def test_before_the_order_existed_the_page_says_so_and_shows_version_1(staff_client, shop):
    response = travel(staff_client, shop.paid, at="2000-01-01T00:00")
    assert response.context["moment"].version == 1
    assert "did not exist yet" in response.content.decode()


def test_a_date_that_is_not_one_is_ignored_with_a_warning(staff_client, shop):
    response = travel(staff_client, shop.paid, at="yesterday")
    assert response.context["moment"].version == response.context["moment"].latest
    assert "is not a date and time" in response.content.decode()


@pytest.mark.parametrize("query", [{"version": "0"}, {"version": "99"}, {"version": "two"}])
def test_a_version_the_order_does_not_have_is_not_found(staff_client, shop, query):
    url = reverse("admin:projections_orderdetail_time_travel", args=[shop.paid])
    assert staff_client.get(url, query).status_code == 404


def test_an_order_with_no_events_is_not_found(staff_client, shop):
    url = reverse("admin:projections_orderdetail_time_travel", args=[shop.ada])
    assert staff_client.get(url).status_code == 404


def test_time_travel_replays_the_event_store_not_the_read_models(staff_client, shop):
    OrderDetail.objects.all().delete()
    OrderSummary.objects.all().delete()
    response = travel(staff_client, shop.paid, version=3)
    assert fields(response)["Status"][0] == "PAID"
    assert response.context["row"] is None  # no link to an order page that does not exist


def test_order_at_loads_through_the_orders_repository(shop, monkeypatch):
    """The state comes from the orders repository (snapshots plus later events)."""
    loads = []
    real = temporal.orders.load

    def load(order_id, **kwargs):
        loads.append(kwargs)
        return real(order_id, **kwargs)

    monkeypatch.setattr(temporal.orders, "load", load)
    moment = time_travel.order_at(shop.paid, version=2)
    assert loads == [{"at_version": 2}, {"at_version": 1}]
    assert moment.event.event_type == "ItemAddedToOrder"


def test_a_new_order_has_nothing_before_its_first_version(shop):
    fresh = order(shop.ada, shop.checkout, (shop.mug, 1))
    moment = time_travel.order_at(fresh)
    assert (moment.version, moment.previous, moment.next) == (1, None, None)
    assert not any(field.changed for field in moment.fields)
