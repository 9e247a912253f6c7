"""The dead-letter desk: stopped projections and parked process work in one admin page,
Retry and Skip behind their own permission, skips recorded and honoured by rebuilds,
and overdue items counted on the admin index and by /healthz."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from eventstore.models import SkippedEvent
from orders import commands as c
from orders import handlers
from orders.handlers import execute
from projections.engine import rebuilding
from projections.models import OrderSummary, ProjectionState
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import catch_up, decline_payments, open_shop, order
from tests.fulfillment import run_fulfillment

pytestmark = pytest.mark.django_db

DESK = reverse("admin:projections_desk")
SKIP = reverse("admin:projections_desk_skip")
RETRY = reverse("admin:projections_desk_retry")


@pytest.fixture
def shop():
    return open_shop()


def handler_of(client, *, permitted: bool):
    user = make_staff("desk" if permitted else "viewer")
    if permitted:
        user.user_permissions.add(Permission.objects.get(codename="handle_stuck_events"))
    client.force_login(user)
    return client


@pytest.fixture
def desk_client(client):
    return handler_of(client, permitted=True)


@pytest.fixture
def declined_payments(monkeypatch):
    """The order list's payment handler fails on "declined", as a bug would."""
    decline_payments(monkeypatch)


def stop_order_list(shop):
    result = execute(c.PayOrder(order_id=shop.pending, payment_id="declined"))
    catch_up(result)
    state = ProjectionState.objects.get(name="order_list")
    assert state.error_position == result.position
    return result


def test_a_stopped_projection_is_on_the_desk_with_its_event_stream_and_correlation(
    desk_client, shop, declined_payments
):
    result = stop_order_list(shop)

    page = desk_client.get(DESK).content.decode()

    row = page.split('id="stuck-order_list-', 1)[1].split("</tr>", 1)[0]
    assert reverse("admin:eventstore_event_change", args=[result.position]) in row
    assert reverse("admin:eventstore_event_stream", args=[f"order-{shop.pending}"]) in row
    assert "/correlation/" in row
    assert "RuntimeError: card declined" in row and "Traceback" in row
    assert f'action="{SKIP}"' in row and f'action="{RETRY}"' in row


def test_a_skip_with_a_reason_moves_the_projection_on_and_is_recorded_and_shown(
    desk_client, shop, declined_payments, django_capture_on_commit_callbacks
):
    result = stop_order_list(shop)
    fresh = order(shop.grace, uuid4(), (shop.mug, 1))
    later = execute(c.CancelOrder(order_id=fresh, reason="changed mind"))

    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(SKIP, {"reader": "order_list", "reason": "test card"})
    assert response.status_code == 302
    catch_up(later)

    state = ProjectionState.objects.get(name="order_list")
    assert state.error_position is None and state.checkpoint.position >= later.position
    skip = SkippedEvent.objects.get(reader="order_list")
    assert (skip.position, skip.reason, skip.skipped_by) == (result.position, "test card", "desk")
    assert OrderSummary.objects.get(order_id=fresh).status == "CANCELLED"
    assert OrderSummary.objects.get(order_id=shop.pending).status == "PENDING"  # passed over
    event_page = desk_client.get(reverse("admin:eventstore_event_change", args=[result.position]))
    assert "order_list</strong> skips it: “test card” (desk" in event_page.content.decode()
    assert 'id="nothing-stuck"' in desk_client.get(DESK).content.decode()


def test_a_rebuild_honours_the_skip(desk_client, shop, declined_payments):
    stop_order_list(shop)
    desk_client.post(SKIP, {"reader": "order_list", "reason": "test card"})
    catch_up()

    rebuilding.start("order_list")
    catch_up()

    state = ProjectionState.objects.get(name="order_list")
    assert not state.rebuilding and state.error_position is None
    assert state.generation == 2
    assert OrderSummary.objects.filter(generation=2, order_id=shop.pending).get().status == (
        "PENDING"
    )


def test_a_skip_needs_a_reason(desk_client, shop, declined_payments):
    stop_order_list(shop)
    desk_client.post(SKIP, {"reader": "order_list", "reason": "  "})
    assert not SkippedEvent.objects.exists()
    assert ProjectionState.objects.get(name="order_list").error_position is not None


def test_retry_after_the_fault_is_gone_mends_the_projection(
    desk_client, shop, declined_payments, monkeypatch, django_capture_on_commit_callbacks
):
    stop_order_list(shop)
    monkeypatch.undo()  # the bug is fixed
    with django_capture_on_commit_callbacks(execute=True):
        assert desk_client.post(RETRY, {"reader": "order_list"}).status_code == 302
    catch_up()
    assert ProjectionState.objects.get(name="order_list").error_position is None
    assert OrderSummary.objects.get(order_id=shop.pending).status == "PAID"
    assert not SkippedEvent.objects.exists()


@pytest.mark.parametrize("url", [SKIP, RETRY])
def test_staff_without_the_desk_permission_see_it_but_cannot_retry_or_skip(
    client, shop, declined_payments, url
):
    viewer = handler_of(client, permitted=False)
    stop_order_list(shop)
    page = viewer.get(DESK).content.decode()
    assert 'id="stuck-order_list-' in page and f'action="{url}"' not in page
    assert viewer.post(url, {"reader": "order_list", "reason": "x"}).status_code == 403
    assert not SkippedEvent.objects.exists()
    assert ProjectionState.objects.get(name="order_list").error_position is not None


def test_parked_process_work_is_on_the_desk_and_retry_makes_it_due(
    desk_client, shop, monkeypatch, django_capture_on_commit_callbacks
):
    real = handlers.HANDLERS[c.CreateShipment]

    def create_shipment(command, uow):
        raise RuntimeError("label printer on fire")

    monkeypatch.setitem(handlers.HANDLERS, c.CreateShipment, create_shipment)
    execute(c.PayOrder(order_id=shop.pending, payment_id="pay-desk"))
    run_fulfillment()

    page = desk_client.get(DESK).content.decode()
    stream = reverse("admin:eventstore_event_stream", args=[f"order-{shop.pending}"])
    row = page.split(stream, 1)[0].rsplit('id="stuck-fulfillment-', 1)[1] + page.split(stream, 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "OrderPaid" in page and "label printer on fire" in row
    assert f'action="{SKIP}"' in row and f'action="{RETRY}"' in row

    monkeypatch.setitem(handlers.HANDLERS, c.CreateShipment, real)
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(RETRY, {"reader": "fulfillment", "key": str(shop.pending)})
    assert response.status_code == 302
    run_fulfillment()
    assert stream not in desk_client.get(DESK).content.decode()


def test_skipping_parked_work_passes_over_its_step_and_is_recorded_on_the_event(
    desk_client, shop, monkeypatch, django_capture_on_commit_callbacks
):
    def create_shipment(command, uow):
        raise RuntimeError("label printer on fire")

    monkeypatch.setitem(handlers.HANDLERS, c.CreateShipment, create_shipment)
    paid = execute(c.PayOrder(order_id=shop.pending, payment_id="pay-desk"))
    run_fulfillment()
    stream = reverse("admin:eventstore_event_stream", args=[f"order-{shop.pending}"])
    assert stream in desk_client.get(DESK).content.decode()

    form = {"reader": "fulfillment", "key": str(shop.pending), "reason": ""}
    desk_client.post(SKIP, form)  # no reason: nothing happens
    assert not SkippedEvent.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(SKIP, {**form, "reason": "shipped by hand"})
    assert response.status_code == 302
    skip = SkippedEvent.objects.get(reader="fulfillment")
    assert (skip.position, skip.reason, skip.skipped_by) == (
        paid.position,
        "shipped by hand",
        "desk",
    )
    run_fulfillment()
    assert stream not in desk_client.get(DESK).content.decode()
    event_page = desk_client.get(reverse("admin:eventstore_event_change", args=[paid.position]))
    assert "fulfillment</strong> skips it: “shipped by hand” (desk" in event_page.content.decode()
    assert desk_client.post(SKIP, {**form, "reason": "again"}).status_code == 404


def test_an_overdue_item_shows_in_red_on_the_index_and_is_counted_by_healthz(
    desk_client, shop, declined_payments, settings
):
    stop_order_list(shop)
    settings.DEAD_LETTER_AFTER_SECONDS = 600
    assert desk_client.get("/healthz").json()["stuck"] == 0
    assert 'id="stuck-alert"' not in desk_client.get(reverse("admin:index")).content.decode()

    ProjectionState.objects.filter(name="order_list").update(
        failing_since=timezone.now() - dt.timedelta(minutes=11)
    )

    health = desk_client.get("/healthz")
    assert health.status_code == 200 and health.json()["stuck"] == 1
    index = desk_client.get(reverse("admin:index")).content.decode()
    assert "1 stuck item on the dead-letter desk" in index
    assert 'class="chronicle-overdue"' in desk_client.get(DESK).content.decode()
