"""The read models in admin: read-only for everyone, staff only, active generation only.

Django's test client on both backends; tests/browser drives the same pages in chromium.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from projections.engine import rebuilding, runner
from projections.engine.projection import get
from projections.models import (
    CatalogProduct,
    CustomerStatistics,
    DirectoryCustomer,
    OrderDetail,
    OrderSummary,
)
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import Shop, open_shop

pytestmark = pytest.mark.django_db

ORDERS = "/admin/projections/ordersummary/"
DETAILS = "/admin/projections/orderdetail/"


@pytest.fixture
def shop() -> Shop:
    return open_shop()


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", password=None))
    return client


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff())
    return client


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:projections_{model._meta.model_name}_{view}", args=args)


def shown(response) -> list:
    return list(response.context["cl"].result_list)


READ_MODELS = [
    (OrderSummary, "paid"),
    (OrderDetail, "paid"),
    (CustomerStatistics, "ada"),
    (DirectoryCustomer, "ada"),
    (CatalogProduct, "mug"),
]


# Read-only, superusers included.


@pytest.mark.parametrize("model, key", READ_MODELS)
def test_no_read_model_offers_add_change_or_delete_even_to_a_superuser(
    admin_client, shop, model, key
):
    changelist = admin_client.get(admin_url(model, "changelist")).content.decode()
    assert admin_url(model, "add") not in changelist
    assert 'name="action"' not in changelist and "delete_selected" not in changelist
    change = admin_url(model, "change", getattr(shop, key))
    page = admin_client.get(change).content.decode()
    assert "View " in page and 'name="_save"' not in page and "deletelink" not in page


@pytest.mark.parametrize("model, key", READ_MODELS)
def test_posting_to_a_read_models_add_change_or_delete_urls_is_refused(
    admin_client, shop, model, key
):
    before = list(model.objects.values())
    change = admin_url(model, "change", getattr(shop, key))
    assert admin_client.post(change, {"name": "Forged", "status": "PAID"}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", getattr(shop, key))).status_code == 403
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "add"), {"name": "Forged"}).status_code == 403
    ids = list(model.objects.values_list("pk", flat=True))
    bulk = {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    admin_client.post(admin_url(model, "changelist"), bulk)
    assert list(model.objects.values()) == before


# Who may look.


@pytest.fixture
def every_page(shop) -> list[str]:
    return [
        "/admin/",
        ORDERS,
        admin_url(OrderDetail, "change", shop.paid),
        admin_url(OrderDetail, "time_travel", shop.paid) + "?version=1",
        admin_url(CustomerStatistics, "changelist"),
        admin_url(DirectoryCustomer, "changelist"),
        admin_url(CatalogProduct, "changelist"),
        reverse("admin:projections_projectionstate_changelist"),
    ]


def test_an_anonymous_visitor_is_sent_to_the_login_page_from_every_admin_page(client, every_page):
    for url in every_page:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next="), url


def test_a_non_staff_user_is_sent_to_the_login_page_from_every_admin_page(
    client, django_user_model, every_page
):
    client.force_login(django_user_model.objects.create_user("customer"))
    for url in every_page:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next="), url
    rebuild = reverse("admin:projections_projectionstate_rebuild", args=["order_list"])
    assert client.post(rebuild)["Location"].startswith("/admin/login/")


def test_staff_without_view_permissions_cannot_open_the_pages(client, django_user_model, shop):
    client.force_login(django_user_model.objects.create_user("new", is_staff=True))
    assert client.get(ORDERS).status_code == 403
    assert client.get(admin_url(OrderDetail, "time_travel", shop.paid)).status_code == 403
    assert client.get(reverse("admin:projections_projectionstate_changelist")).status_code == 403


# The order lists.


@pytest.mark.parametrize("url", [ORDERS, DETAILS])
def test_the_order_lists_show_every_order_newest_first(staff_client, shop, url):
    response = staff_client.get(url)
    assert [row.order_id for row in shown(response)] == [shop.cancelled, shop.pending, shop.paid]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status__exact=PAID", {"paid"}),
        ("status__exact=PENDING", {"pending"}),
        ("status__exact=CANCELLED", {"cancelled"}),
        ("currency__exact=EUR", {"paid", "pending", "cancelled"}),
        ("currency__exact=USD", set()),
        ("q=grace.hopper@example.com", {"pending", "cancelled"}),
        ("q=grace@example.com", set()),  # her old address
        ("q=lovelace", {"paid"}),
        ("q={pending_number}", {"pending"}),
        ("q={pending}", {"pending"}),
    ],
)
def test_the_order_list_filters_and_searches(staff_client, shop, query, expected):
    number = OrderSummary.objects.get(order_id=shop.pending).order_number
    query = query.format(pending=shop.pending, pending_number=number)
    response = staff_client.get(f"{ORDERS}?{query}")
    assert response.status_code == 200
    assert {row.order_id for row in shown(response)} == {getattr(shop, k) for k in expected}


def test_the_order_list_filters_by_created_date_and_drills_down_by_date(staff_client, shop):
    created = OrderSummary.objects.get(order_id=shop.paid).created_at
    day = f"created_at__year={created.year}&created_at__month={created.month}"
    response = staff_client.get(f"{ORDERS}?{day}&created_at__day={created.day}")
    assert len(shown(response)) == 3
    assert shown(staff_client.get(f"{ORDERS}?created_at__year=2000")) == []
    today = "created_at__gte=" in staff_client.get(ORDERS).content.decode()
    assert today, "the created-date filter offers Today, Past 7 days..."
    assert f"?created_at__year={created.year}" in staff_client.get(ORDERS).content.decode()


def test_order_rows_link_to_the_order_page_and_the_customers_statistics(staff_client, shop):
    page = staff_client.get(ORDERS).content.decode()
    assert f'href="{admin_url(OrderDetail, "change", shop.paid)}"' in page
    assert f'href="{admin_url(CustomerStatistics, "change", shop.ada)}"' in page
    assert "grace.hopper@example.com" in page


def test_the_lists_show_only_the_active_generation_while_a_rebuild_is_under_way(
    staff_client, shop, settings
):
    settings.PROJECTIONS_BATCH_SIZE = 5
    rebuilding.start("order_list")
    runner.run_batch(get("order_list"))  # the new generation has some rows now
    assert OrderSummary.objects.values("generation").distinct().count() == 2
    assert len(shown(staff_client.get(ORDERS))) == 3

    while runner.advance(["order_list"], max_batches=100).behind:
        pass
    assert OrderSummary.objects.filter(generation=2).count() == 3
    rows = shown(staff_client.get(ORDERS))
    assert [row.generation for row in rows] == [2, 2, 2]
    assert staff_client.get(admin_url(OrderSummary, "change", shop.paid)).status_code == 200


# The order page.


def test_the_order_page_shows_lines_totals_payment_and_shipping(staff_client, shop):
    response = staff_client.get(admin_url(OrderDetail, "change", shop.paid))
    page = response.content.decode()
    lines = page.split('id="order-lines"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<td><a href="[^"]+">([^<]+)</a> <div', lines) == [
        "Chronicle mug",
        "Event-sourced T-shirt",
        "Immutable pen",
    ]
    assert "25.00" in lines and "9.60" in lines
    assert '<td class="chronicle-right chronicle-amount" id="order-total">58.60 EUR</td>' in page
    assert "pay-ada-1" in page and "1 Market Street" in page and "9000 Ghent" in page
    assert "Ada Lovelace" in page and "ada@example.com" in page


def test_the_order_page_shows_the_timeline_newest_first_each_entry_linked_to_its_event(
    staff_client, shop
):
    page = staff_client.get(admin_url(OrderDetail, "change", shop.paid)).content.decode()
    timeline = page.split('id="order-timeline"', 1)[1].split("</table>", 1)[0]
    versions = [int(v) for v in re.findall(r'<tr id="timeline-(\d+)"', timeline)]
    assert versions == sorted(versions, reverse=True) and versions[-3:] == [3, 2, 1]
    detail = OrderDetail.objects.get(order_id=shop.paid)
    for entry in detail.timeline:
        event = reverse("admin:eventstore_event_change", args=[entry["position"]])
        assert f'href="{event}">{entry["event_type"]}</a>' in timeline
    travel = admin_url(OrderDetail, "time_travel", shop.paid)
    assert f'href="{travel}?version=1"' in timeline


def test_the_order_page_links_to_time_travel_the_event_stream_and_the_events_list(
    staff_client, shop
):
    page = staff_client.get(admin_url(OrderDetail, "change", shop.paid)).content.decode()
    stream = f"order-{shop.paid}"
    tools = page.split('class="object-tools"', 1)[1].split("</ul>", 1)[0]
    assert f'href="{admin_url(OrderDetail, "time_travel", shop.paid)}"' in tools
    assert f'href="{reverse("admin:eventstore_event_stream", args=[stream])}"' in tools
    assert f'href="/admin/eventstore/event/?stream_id={stream}"' in tools
    assert "/history/" not in tools
    assert f'href="{admin_url(CustomerStatistics, "change", shop.ada)}"' in page


def test_the_events_link_of_an_order_lists_its_events_only(client, django_user_model, shop):
    client.force_login(django_user_model.objects.create_superuser("admin", password=None))
    response = client.get(f"/admin/eventstore/event/?stream_id=order-{shop.paid}")
    types = [event.event_type for event in response.context["cl"].result_list]
    assert types[-3:] == ["OrderPaid", "ItemAddedToOrder", "OrderCreated"]
    assert {event.stream_id for event in response.context["cl"].result_list} == {
        f"order-{shop.paid}"
    }


def test_a_read_model_rows_history_is_its_event_stream(staff_client, shop):
    response = staff_client.get(admin_url(DirectoryCustomer, "history", shop.grace))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:eventstore_event_stream", args=[f"customer-{shop.grace}"]
    )


def test_an_unknown_order_is_not_shown(staff_client, shop):
    response = staff_client.get(admin_url(OrderDetail, "change", shop.ada), follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"  # Django's "does not exist" message
    assert staff_client.get(admin_url(OrderDetail, "change", "not-a-uuid")).status_code == 302


# Customers and catalog.


def test_customer_statistics_show_names_from_the_directory_and_search_them(staff_client, shop):
    url = admin_url(CustomerStatistics, "changelist")
    rows = shown(staff_client.get(f"{url}?q=grace.hopper"))
    assert [(row.customer_name, row.orders_placed, row.orders_cancelled) for row in rows] == [
        ("Grace Hopper", 2, 1)
    ]
    page = staff_client.get(admin_url(CustomerStatistics, "change", shop.grace)).content.decode()
    assert "grace.hopper@example.com" in page
    assert f"{ORDERS}?customer_id={shop.grace}" in page


def test_the_customer_directory_searches_by_email_and_links_to_statistics(staff_client, shop):
    url = admin_url(DirectoryCustomer, "changelist")
    response = staff_client.get(f"{url}?q=ada@")
    assert [row.name for row in shown(response)] == ["Ada Lovelace"]
    assert admin_url(CustomerStatistics, "change", shop.ada) in response.content.decode()


@pytest.mark.parametrize("stock, expected", [("ok", 3), ("low", 0), ("out", 0)])
def test_the_catalog_lists_products_with_stock_and_filters_by_it(
    staff_client, shop, stock, expected
):
    url = admin_url(CatalogProduct, "changelist")
    assert {row.sku for row in shown(staff_client.get(url))} == {"MUG-001", "TEE-001", "PEN-001"}
    assert len(shown(staff_client.get(f"{url}?stock={stock}"))) == expected
