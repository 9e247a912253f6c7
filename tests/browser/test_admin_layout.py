"""The staff admin at laptop widths: the events list fits its page, the index puts
Chronicle's sections first, the chart's bars follow the data, "View site" leads to
a landing page, and no page asks for a favicon that is not there."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from eventstore.models import Event
from orders import commands as c
from orders.handlers import execute
from tests.browser.shop_story import open_shop

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 1400])
def test_the_events_list_fits_the_page_with_its_type_and_correlation_columns(staff_page, width):
    open_shop()  # stream ids as the handlers make them: order-<uuid>, inventory-<uuid>
    page = staff_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/admin/eventstore/event/")
    widths = page.evaluate(
        """() => {
            const table = document.querySelector('#result_list');
            const box = table.closest('.results');
            return {table: table.scrollWidth, box: box.clientWidth,
                    page: document.documentElement.scrollWidth,
                    view: document.documentElement.clientWidth,
                    columns: [...table.querySelectorAll('thead th')].map(
                        th => [th.className, th.getBoundingClientRect().width])};
        }"""
    )
    shoot(page, f"events-list-{width}")
    assert widths["table"] <= widths["box"], widths
    assert widths["page"] <= widths["view"], widths
    for column in ("event_type", "correlation", "stream", "recorded"):
        cell = page.locator(
            f"#result_list tbody td.field-{column}, #result_list tbody th.field-{column}"
        ).first
        expect(cell).to_be_visible()
        expect(cell).to_be_in_viewport()


def test_the_index_puts_chronicles_sections_first_with_names_that_say_what_they_are(
    logged_in_page, admin_user
):
    page = logged_in_page(admin_user)  # a superuser sees every section
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/admin/")
    shoot(page, "admin-index")
    sections = page.locator("#content-main .module caption").all_inner_texts()
    assert sections[:3] == ["EVENT STORE", "READ MODELS", "PROJECTION HEALTH"], sections
    assert {"KNOX", "DJANGO Q", "AUTHENTICATION AND AUTHORIZATION"} <= set(sections[3:])
    modules = page.locator("#content-main .module")
    read_models = modules.filter(has=page.locator("caption", has_text="Read models"))
    for name in ("Order list rows", "Order detail pages", "Customer directory entries"):
        expect(read_models.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(read_models.get_by_role("link", name="Projection states")).to_have_count(0)
    health = modules.filter(has=page.locator("caption", has_text="Projection health"))
    health.locator("#projections-projectionstate a").click()
    expect(page.locator("h1")).to_contain_text("health")
    captions = page.locator("#nav-sidebar .module caption")
    expect(captions.first).to_be_visible()  # the sidebar opens by script after the load
    sidebar = [text.strip().upper() for text in captions.all_text_contents()]
    assert sidebar[:3] == sections[:3], sidebar


def failed_requests(page: Page) -> list[str]:
    """Every response of 400 or more the page receives from now on, as 'status url'."""
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    return failures


def test_view_site_leads_to_a_landing_page_with_the_admin_the_api_docs_and_healthz(
    staff_page,
):
    page = staff_page
    failures = failed_requests(page)
    page.goto("/admin/")
    page.get_by_role("link", name="View site").click()
    expect(page).to_have_title("Chronicle")
    shoot(page, "landing")
    for link, target in (
        ("Staff admin", "/admin/"),
        ("API documentation", "/api/docs/"),
        ("Health check", "/healthz"),
    ):
        page.goto("/")
        page.get_by_role("link", name=link, exact=True).click()
        expect(page).to_have_url(re.compile(f"^http://[^/]+{re.escape(target)}$"))
    expect(page.locator("body")).to_contain_text('"status"')
    assert failures == []


@pytest.mark.parametrize(
    "path", ["/", "/admin/", "/admin/eventstore/event/", "/admin/login/", "/api/docs/"]
)
def test_no_page_asks_for_a_favicon_that_is_not_there(page, path):
    failures = failed_requests(page)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert failures == []
    assert page.request.get("/favicon.ico").ok
    declared = page.locator("link[rel=icon]").first.get_attribute("href")
    assert declared and page.request.get(declared).ok


def test_the_chart_spreads_a_fresh_history_over_seconds_not_one_hourly_bar(staff_page):
    open_shop()
    time.sleep(1.1)  # a second of history more: at least two bars
    execute(c.RegisterCustomer(name="Alan Turing", email="alan@example.com", phone=""))
    page = staff_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/admin/")
    chart = page.locator("#events-per-hour")
    expect(chart).to_have_attribute("data-scale", "second")
    expect(chart.locator("h2")).to_contain_text("Events per second")
    bars = chart.locator("rect.bar")
    assert bars.count() >= 2
    counts = [int(n) for n in bars.evaluate_all("rs => rs.map(r => r.dataset.count)")]
    assert sum(counts) == Event.objects.count()
    shoot(page, "events-chart-fresh")


def test_the_health_page_shows_what_each_projection_applied_and_how_fast(staff_page):
    open_shop()
    page = staff_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/admin/projections/projectionstate/")
    order_list = page.locator("#projection-order_list")
    expect(order_list.locator(".throughput-applied")).to_have_text(str(Event.objects.count()))
    expect(order_list.locator(".throughput-rate")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#projection-fulfillment")).to_contain_text("not recorded")
    shoot(page, "projection-health")
