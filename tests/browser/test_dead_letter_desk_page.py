"""The dead-letter desk in a browser: a stopped projection in red on the index and the
desk, skipped with a reason by a permitted member of staff, and gone from the desk."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from orders import commands as c
from orders.handlers import execute
from projections.models import ProjectionState
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import catch_up, decline_payments, open_shop
from tests.browser.test_admin_layout import shoot

pytestmark = pytest.mark.browser


def test_a_permitted_member_of_staff_skips_a_stuck_event_from_the_desk(
    logged_in_page, monkeypatch, settings
):
    shop = open_shop()
    decline_payments(monkeypatch)
    catch_up(execute(c.PayOrder(order_id=shop.pending, payment_id="declined")))
    settings.DEAD_LETTER_AFTER_SECONDS = 0
    user = make_staff("desk")
    user.user_permissions.add(Permission.objects.get(codename="handle_stuck_events"))
    page = logged_in_page(user)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/admin/")
    page.click("#stuck-alert a")
    row = page.locator("#dead-letters tbody tr").first
    expect(row).to_contain_text("RuntimeError: card declined")
    shoot(page, "dead-letter-desk")

    row.get_by_label("Reason").fill("a test card, never charged")
    row.get_by_role("button", name="Skip").click()
    catch_up()
    page.goto("/admin/projections/projectionstate/desk/")
    expect(page.locator("#nothing-stuck")).to_be_visible()
    assert ProjectionState.objects.get(name="order_list").error_position is None
