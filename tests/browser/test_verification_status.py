"""The log's integrity in a browser: verified on the index, then an edit made behind
the application's back, found by verify_events, in red on the index and on the
stream's page, with a link to the edited event."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from playwright.sync_api import expect

from eventstore.models import Event
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import open_shop
from tests.browser.test_admin_layout import shoot
from tests.eventstore.test_tamper_evidence import as_superuser

pytestmark = pytest.mark.browser


def test_staff_see_the_log_verified_then_an_edit_in_red_linked_to_its_event(logged_in_page):
    shop = open_shop()
    call_command("verify_events", "--no-progress")
    page = logged_in_page(make_staff("auditor"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/")
    expect(page.locator("#verification-clean")).to_contain_text("Verified up to position")

    edited = Event.objects.get(stream_id=f"order-{shop.paid}", version=2)
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET data = %s WHERE position = %s",
            ['{"quantity": 99}', edited.position],
        )
    with pytest.raises(CommandError):
        call_command("verify_events", "--no-progress")
    page.goto("/admin/")
    alert = page.locator("#verification-break")
    expect(alert).to_be_visible()
    assert alert.evaluate("e => getComputedStyle(e).color") == "rgb(186, 33, 33)"
    shoot(page, "verification-break-index")

    page.locator("a.chronicle-verification-break").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/eventstore/event/{edited.position}/change/$"))
    page.goto(f"/admin/eventstore/event/stream/order-{shop.paid}/")
    expect(page.locator("ul.chronicle-verification-break")).to_contain_text(
        f"data or metadata changed: order-{shop.paid} version 2"
    )
    shoot(page, "verification-break-stream")
