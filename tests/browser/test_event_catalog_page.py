"""The admin's event catalog in a browser: reached from projection health, every type
in a table that fits a laptop's width, and a dry run showing before and after."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from eventstore import events
from tests.browser.shop_story import open_shop
from tests.browser.test_admin_layout import shoot

pytestmark = pytest.mark.browser


def test_staff_reach_the_catalog_from_health_and_dry_run_a_type(staff_page):
    open_shop()
    page = staff_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/projections/projectionstate/")
    page.click("#event-catalog-link")

    expect(page.locator("#event-catalog tbody tr")).to_have_count(len(events.event_types()))
    shoot(page, "event-catalog")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths

    page.locator("#event-type-OrderPaid").get_by_role("link", name="Dry run").click()
    expect(page.locator("#dry-run")).to_contain_text("all upcast and decode")
    shoot(page, "event-catalog-dry-run")
