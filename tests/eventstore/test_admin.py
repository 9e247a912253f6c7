"""The event store browser in admin: read-only for everyone, staff only.

Runs with Django's test client on both backends; tests/browser drives the same
pages in chromium.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from eventstore.models import Event, Snapshot
from tests.browser.stories import Checkout, record_checkout

pytestmark = pytest.mark.django_db

EVENTS = "/admin/eventstore/event/"


@pytest.fixture
def checkout() -> Checkout:
    return record_checkout()


# Users without a password (no hashing) keep these tests fast; force_login needs none.


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", password=None))
    return client


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="eventstore"))
    client.force_login(user)
    return client


def event(event_id) -> Event:
    return Event.objects.get(event_id=event_id)


def change_url(obj) -> str:
    return reverse(f"admin:eventstore_{obj._meta.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    return reverse(f"admin:eventstore_{obj._meta.model_name}_delete", args=[obj.pk])


def stream_url(stream_id: str) -> str:
    return reverse("admin:eventstore_event_stream", args=[stream_id])


def correlation_url(correlation_id) -> str:
    return reverse("admin:eventstore_event_correlation", args=[correlation_id])


def rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr id="event-(\d+)"', body)


def recorded_between(day: dt.date) -> str:
    """The query the recorded-date filter sends for one day."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
    end = start + dt.timedelta(days=1)
    return urlencode({"recorded_at__gte": str(start), "recorded_at__lt": str(end)})


# Read-only, superusers included.


def test_the_events_list_offers_no_add_button_and_no_action_even_to_a_superuser(
    admin_client, checkout
):
    page = admin_client.get(EVENTS).content.decode()
    assert "V1.OrderPlaced" in page
    assert f'href="{EVENTS}add/"' not in page
    assert 'name="action"' not in page and "delete_selected" not in page


def test_an_event_page_is_a_view_with_no_save_or_delete_button(admin_client, checkout):
    response = admin_client.get(change_url(event(checkout.placed)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "View event" in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert "deletelink" not in page


def test_posting_to_an_events_change_url_is_refused_and_changes_nothing(admin_client, checkout):
    placed = event(checkout.placed)
    response = admin_client.post(change_url(placed), {"event_type": "Forged", "version": 9})
    assert response.status_code == 403
    assert event(checkout.placed).event_type == "V1.OrderPlaced"


def test_posting_to_an_events_delete_url_is_refused(admin_client, checkout):
    placed = event(checkout.placed)
    assert admin_client.get(delete_url(placed)).status_code == 403
    assert admin_client.post(delete_url(placed), {"post": "yes"}).status_code == 403
    assert Event.objects.count() == 4


def test_the_add_url_is_refused(admin_client):
    assert admin_client.get(f"{EVENTS}add/").status_code == 403
    assert admin_client.post(f"{EVENTS}add/", {"event_type": "Forged"}).status_code == 403


def test_a_forged_bulk_delete_action_on_the_events_list_deletes_nothing(admin_client, checkout):
    ids = list(Event.objects.values_list("pk", flat=True))
    admin_client.post(EVENTS, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert Event.objects.count() == 4


def test_snapshots_are_read_only_too(admin_client):
    snapshot = Snapshot.objects.create(
        stream_id="order-1", version=50, aggregate_type="order", schema_version=1, state={"a": 1}
    )
    page = admin_client.get(change_url(snapshot)).content.decode()
    assert "View snapshot" in page and 'name="_save"' not in page
    assert '<pre class="chronicle-json">{\n  &quot;a&quot;: 1\n}</pre>' in page
    assert admin_client.post(change_url(snapshot), {"version": 1}).status_code == 403
    assert admin_client.post(delete_url(snapshot), {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/eventstore/snapshot/add/").status_code == 403
    assert Snapshot.objects.get().version == 50


# What the pages show.


def test_the_events_list_shows_newest_first_with_stream_and_correlation_links(
    staff_client, checkout
):
    page = staff_client.get(EVENTS).content.decode()
    placed = event(checkout.placed)
    assert page.index("V1.CartOpened") < page.index("V1.OrderPaid") < page.index("V1.OrderPlaced")
    assert f'href="{stream_url("order-1")}"' in page
    assert f'href="{correlation_url(checkout.correlation_id)}"' in page
    assert f'href="{change_url(placed)}"' in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ("event_type=V1.OrderPaid", {"V1.OrderPaid"}),
        ("stream_type=stock", {"V1.StockReserved"}),
        ("q=order-1", {"V1.OrderPlaced", "V1.OrderPaid"}),
        ("q=stock-tea", {"V1.StockReserved"}),
        ("q={placed}", {"V1.OrderPlaced"}),
        ("q={correlation}", {"V1.OrderPlaced", "V1.StockReserved", "V1.OrderPaid"}),
        ("q={correlation_prefix}", {"V1.OrderPlaced", "V1.StockReserved", "V1.OrderPaid"}),
        ("{today}", {"V1.OrderPlaced", "V1.StockReserved", "V1.OrderPaid", "V1.CartOpened"}),
        ("{long_ago}", set()),
    ],
)
def test_the_events_list_filters_and_searches(staff_client, checkout, query, expected):
    query = query.format(
        placed=checkout.placed,
        correlation=checkout.correlation_id,
        correlation_prefix=str(checkout.correlation_id)[:8],
        today=recorded_between(timezone.localdate()),
        long_ago=recorded_between(dt.date(2000, 1, 1)),
    )
    response = staff_client.get(f"{EVENTS}?{query}")
    assert response.status_code == 200
    shown = {e.event_type for e in response.context["cl"].result_list}
    assert shown == expected


def test_an_event_page_pretty_prints_data_and_metadata_and_links_its_cause(staff_client, checkout):
    page = staff_client.get(change_url(event(checkout.reserved))).content.decode()
    placed = event(checkout.placed)
    json = "{\n  &quot;quantity&quot;: 2,\n  &quot;sku&quot;: &quot;TEA-01&quot;\n}"
    assert f'<pre class="chronicle-json">{json}</pre>' in page
    assert f"&quot;command_id&quot;: &quot;{checkout.command_id}&quot;" in page
    assert f'<a href="{change_url(placed)}">#{placed.pk} V1.OrderPlaced</a>' in page
    assert change_url(event(checkout.paid)) in page  # what it caused
    assert f'href="{stream_url("stock-TEA-01")}"' in page
    assert f'href="{correlation_url(checkout.correlation_id)}"' in page


def test_the_stream_page_lists_one_streams_events_in_version_order(staff_client, checkout):
    response = staff_client.get(stream_url("order-1"))
    page = response.content.decode()
    assert response.status_code == 200
    assert rows(page, "stream-events") == [
        str(event(checkout.placed).pk),
        str(event(checkout.paid).pk),
    ]
    assert "<h1>Stream order-1</h1>" in page
    assert "&quot;payment_id&quot;: &quot;pay-77&quot;" in page
    assert "V1.StockReserved" not in page and "V1.CartOpened" not in page


def test_an_unknown_stream_is_not_found(staff_client):
    assert staff_client.get(stream_url("order-404")).status_code == 404


def test_the_correlation_page_follows_one_request_across_streams_with_causation_links(
    staff_client, checkout
):
    response = staff_client.get(correlation_url(checkout.correlation_id))
    page = response.content.decode()
    placed, reserved, paid = (event(e) for e in (checkout.placed, checkout.reserved, checkout.paid))
    assert rows(page, "correlation-events") == [str(placed.pk), str(reserved.pk), str(paid.pk)]
    assert "3 events" in page.replace("<strong>", "").replace("</strong>", "")
    assert [r.depth for r in response.context["rows"]] == [0, 1, 2]
    assert f'<a href="{change_url(placed)}">#{placed.pk} V1.OrderPlaced</a>' in page
    assert f'<a href="{change_url(reserved)}">#{reserved.pk} V1.StockReserved</a>' in page
    assert f'command</span> <code title="{checkout.command_id}">' in page
    assert "V1.CartOpened" not in page


def test_an_unknown_correlation_is_not_found(staff_client):
    url = correlation_url("00000000-0000-0000-0000-000000000000")
    assert staff_client.get(url).status_code == 404


# Who may look.


@pytest.mark.parametrize("page", ["events", "stream", "correlation"])
def test_a_non_staff_user_is_sent_to_the_login_page(client, django_user_model, checkout, page):
    client.force_login(django_user_model.objects.create_user("customer"))
    url = {
        "events": EVENTS,
        "stream": stream_url("order-1"),
        "correlation": correlation_url(checkout.correlation_id),
    }[page]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, checkout):
    response = client.get(stream_url("order-1"))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_staff_without_the_view_permission_cannot_open_stream_or_correlation_pages(
    client, django_user_model, checkout
):
    client.force_login(django_user_model.objects.create_user("new", is_staff=True))
    assert client.get(stream_url("order-1")).status_code == 403
    assert client.get(correlation_url(checkout.correlation_id)).status_code == 403
    assert client.get(EVENTS).status_code == 403
