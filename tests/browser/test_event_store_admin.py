"""Staff browse the event store in a real browser: list, event, stream, correlation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from eventstore.models import Event
from tests.browser.stories import Checkout, record_checkout

pytestmark = pytest.mark.browser


@pytest.fixture
def checkout(transactional_db) -> Checkout:
    return record_checkout()


def result_rows(page: Page):
    return page.locator("#result_list tbody tr")


def open_event(page: Page, event_type: str) -> None:
    page.goto("/admin/eventstore/event/")
    page.locator("#result_list").get_by_role("link", name=event_type, exact=True).click()
    expect(page.locator("h1")).to_have_text("View event")


def test_staff_log_in_and_find_the_event_store_on_the_admin_index(log_in, staff_user, screenshot):
    page = log_in(staff_user.username)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    store = page.locator("#content-main .app-eventstore")
    expect(store.get_by_role("link", name="Events")).to_be_visible()
    expect(store.get_by_role("link", name="Snapshots")).to_be_visible()
    expect(store.locator("a.addlink")).to_have_count(0)
    screenshot(page)


def test_staff_filter_the_events_list_and_search_it_by_correlation_id(
    staff_page, checkout, screenshot
):
    page = staff_page
    page.goto("/admin/eventstore/event/")
    expect(result_rows(page)).to_have_count(4)
    filters = page.locator("#changelist-filter")
    filters.get_by_role("link", name="order", exact=True).click()
    expect(result_rows(page)).to_have_count(2)
    filters.get_by_role("link", name="Today").click()
    expect(result_rows(page)).to_have_count(2)
    filters.get_by_role("link", name="V1.OrderPaid", exact=True).click()
    expect(result_rows(page)).to_have_count(1)

    page.goto("/admin/eventstore/event/")
    page.fill("#searchbar", str(checkout.correlation_id))
    page.press("#searchbar", "Enter")
    expect(result_rows(page)).to_have_count(3)
    expect(result_rows(page).first).to_contain_text("V1.OrderPaid")  # newest first
    expect(page.locator("#changelist-form")).not_to_contain_text("V1.CartOpened")
    screenshot(page)


def test_staff_open_an_event_and_read_its_data_and_metadata(staff_page, checkout, screenshot):
    page = staff_page
    open_event(page, "V1.StockReserved")
    expect(page.locator(".field-data_json pre")).to_contain_text('"sku": "TEA-01"')
    expect(page.locator(".field-metadata_json pre")).to_contain_text(
        f'"command_id": "{checkout.command_id}"'
    )
    expect(page.locator(".field-causation")).to_contain_text("V1.OrderPlaced")
    expect(page.locator(".field-caused")).to_contain_text("V1.OrderPaid")
    expect(page.locator("input[type=submit]")).to_have_count(0)
    expect(page.locator("a.deletelink")).to_have_count(0)
    screenshot(page)

    page.locator(".field-causation").get_by_role("link").click()
    expect(page.locator(".field-event_type")).to_contain_text("V1.OrderPlaced")


def test_staff_open_a_stream_and_see_its_events_in_version_order(staff_page, checkout, screenshot):
    page = staff_page
    open_event(page, "V1.OrderPaid")
    page.locator(".object-tools").get_by_role("link", name="Stream").click()
    expect(page.locator("h1")).to_have_text("Stream order-1")
    rows = page.locator("#stream-events tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("V1.OrderPlaced")
    expect(rows.nth(0).locator("td").first).to_have_text("1")
    expect(rows.nth(1)).to_contain_text("V1.OrderPaid")
    expect(rows.nth(1).locator("pre")).to_contain_text('"payment_id": "pay-77"')
    screenshot(page)


def test_staff_follow_one_request_across_streams_on_its_correlation_page(
    staff_page, checkout, screenshot
):
    page = staff_page
    open_event(page, "V1.OrderPlaced")
    page.locator(".object-tools").get_by_role("link", name="Correlation").click()
    expect(page.locator("h1")).to_have_text(f"Correlation {checkout.correlation_id}")
    rows = page.locator("#correlation-events tbody tr")
    expect(rows).to_have_count(3)
    for index, (event_type, depth) in enumerate(
        [("V1.OrderPlaced", "0"), ("V1.StockReserved", "1"), ("V1.OrderPaid", "2")]
    ):
        expect(rows.nth(index).locator("a.chronicle-event")).to_have_text(event_type)
        expect(rows.nth(index)).to_have_attribute("data-depth", depth)
    expect(rows.nth(0).locator(".chronicle-cause")).to_contain_text("command")
    expect(rows.nth(2).locator(".chronicle-cause")).to_contain_text("V1.StockReserved")
    screenshot(page)

    rows.nth(2).locator(".chronicle-cause a").click()
    reserved = Event.objects.get(event_id=checkout.reserved)
    expect(page).to_have_url(re.compile(rf"/admin/eventstore/event/{reserved.pk}/change/$"))


def test_a_non_staff_login_is_refused(log_in, non_staff_user, screenshot):
    page = log_in(non_staff_user.username)
    expect(page.locator(".errornote")).to_contain_text("staff account")
    screenshot(page)
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))


def test_an_anonymous_visitor_is_sent_to_the_login_page(page, checkout, screenshot):
    page.goto("/admin/eventstore/event/stream/order-1/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))
    expect(page.locator("#id_username")).to_be_visible()
    screenshot(page)
