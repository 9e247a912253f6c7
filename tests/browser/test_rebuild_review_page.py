"""A verified rebuild in a browser: a projection whose code changed is rebuilt with
"verify", held for its differences, reviewed and switched to by a member of staff
who may rebuild."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from projections.engine import rebuilding
from projections.engine.freshness import read_view
from projections.models import RebuildDecision
from projections.readmodels.customer_statistics import CustomerStatisticsProjection
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import catch_up, open_shop
from tests.browser.test_admin_layout import shoot

pytestmark = pytest.mark.browser


def test_staff_review_a_held_rebuild_and_switch_to_it(logged_in_page, monkeypatch):
    open_shop()
    # The change under review: cancelled orders are no longer counted.
    monkeypatch.setattr(
        CustomerStatisticsProjection,
        "order_cancelled",
        lambda self, rows, e, r: self._order_news(rows, e.order_id, r) and None,
    )
    rebuilding.start("customer_statistics", verify=True)
    catch_up()
    page = logged_in_page(make_staff("reviewer", rebuild=True))
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/admin/projections/projectionstate/")
    held = page.locator("#held-customer_statistics")
    expect(held).to_contain_text("its rows differ from the live ones")
    held.get_by_role("link", name="Review").click()
    expect(page.locator(".review-changed").first).to_have_text("1")
    expect(page.locator(".review-changed-rows").first).to_contain_text("orders_cancelled")
    shoot(page, "rebuild-review")

    page.get_by_role("button", name="Switch to generation 2").click()
    expect(page).to_have_url(re.compile(r"/admin/projections/projectionstate/$"))
    expect(page.locator(".messagelist")).to_contain_text(
        "Generation 2 of “customer_statistics” is live"
    )
    assert read_view("customer_statistics").generation == 2
    assert RebuildDecision.objects.get().decided_by == "reviewer"
