"""Staff browse orders, travel in time and mend projections, in a real browser.

The history is made through the real command handlers and projected by the
runner (``shop_story``). Rebuild and Retry enqueue django-q2 tasks; here django-q2
runs them synchronously, in the live server's thread (``Conf.SYNC``), so the
test sees exactly what a worker would do, and checks django-q2's own record.
"""

from __future__ import annotations

import re

import pytest
from django_q.conf import Conf
from django_q.models import Success
from playwright.sync_api import Page, expect

from orders import commands as c
from orders.handlers import execute
from projections.readmodels.order_list import OrderListProjection
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import Shop, catch_up, decline_payments, open_shop

pytestmark = pytest.mark.browser

ORDERS = "/admin/projections/ordersummary/"
HEALTH = "/admin/projections/projectionstate/"


@pytest.fixture
def shop(transactional_db) -> Shop:
    return open_shop()


@pytest.fixture
def rebuilder_page(logged_in_page, transactional_db) -> Page:
    return logged_in_page(make_staff("rebuilder", rebuild=True))


def result_rows(page: Page):
    return page.locator("#result_list tbody tr")


def open_order(page: Page, customer: str) -> None:
    page.goto(ORDERS)
    row = result_rows(page).filter(has_text=customer).first
    row.locator("th a").click()
    expect(page.locator("#order-page")).to_be_visible()


def health_row(page: Page, name: str):
    return page.locator(f"#projection-{name}")


def test_staff_log_in_and_see_the_overview_on_the_admin_index(log_in, staff_user, shop, screenshot):
    page = log_in(staff_user.username)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    chart = page.locator("#events-per-hour svg")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar").first).to_be_visible()  # the story, second by second
    assert 1 <= chart.locator("rect.bar").count() <= 3
    statuses = page.locator("#orders-by-status")
    expect(statuses.locator('[data-status="PENDING"] .count')).to_have_text("1")
    expect(statuses.locator('[data-status="CANCELLED"] .count')).to_have_text("1")
    expect(page.locator("#projection-lag")).to_contain_text("order_list")
    screenshot(page)


def test_staff_filter_orders_by_status_and_search_by_email(staff_page, shop, screenshot):
    page = staff_page
    page.goto(ORDERS)
    expect(result_rows(page)).to_have_count(3)
    page.locator("#changelist-filter").get_by_role("link", name="PENDING").click()
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page)).to_contain_text("Grace Hopper")

    page.goto(ORDERS)
    page.fill("#searchbar", "grace.hopper@example.com")
    page.press("#searchbar", "Enter")
    expect(result_rows(page)).to_have_count(2)
    expect(result_rows(page).nth(0)).to_contain_text("CANCELLED")
    expect(result_rows(page).nth(1)).to_contain_text("PENDING")
    expect(page.locator("#result_list")).not_to_contain_text("Ada Lovelace")
    screenshot(page)


def test_staff_open_an_order_and_read_its_timeline_newest_first(staff_page, shop, screenshot):
    page = staff_page
    open_order(page, "Ada Lovelace")
    expect(page.locator("#order-lines tbody tr")).to_have_count(3)
    expect(page.locator("#order-total")).to_have_text("58.60 EUR")
    expect(page.locator("#order-status")).to_have_text("PAID")
    expect(page.locator("#order-payment")).to_contain_text("pay-ada-1")
    timeline = page.locator("#order-timeline tbody tr")
    expect(timeline.first).to_contain_text("OrderPaid")
    expect(timeline.last).to_contain_text("OrderCreated")
    expect(timeline.last.locator("td").first).to_have_text("1")
    screenshot(page)

    timeline.last.get_by_role("link", name="OrderCreated").click()
    expect(page.locator(".field-event_type")).to_contain_text("OrderCreated")


def test_staff_time_travel_to_version_1_and_see_the_order_pending_with_its_original_items(
    staff_page, shop, screenshot
):
    page = staff_page
    open_order(page, "Ada Lovelace")
    page.locator(".object-tools").get_by_role("link", name="Time travel").click()
    page.select_option("#tt-pick-version", "1")
    page.locator("#tt-pick-version ~ input[type=submit]").click()

    expect(page.locator("#tt-version")).to_have_text("1")
    expect(page.locator('#tt-fields [data-label="Status"] td')).to_have_text("PENDING")
    lines = page.locator("#tt-lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Chronicle mug")
    expect(lines.nth(0).locator("td").nth(1)).to_have_text("2")
    expect(lines.nth(1)).to_contain_text("Event-sourced T-shirt")
    expect(page.locator('#tt-fields [data-label="Total"] td')).to_have_text("49.00 EUR")
    screenshot(page)


def test_staff_step_forward_and_back_and_see_what_each_version_changed(
    staff_page, shop, screenshot
):
    page = staff_page
    open_order(page, "Ada Lovelace")
    page.locator(".object-tools").get_by_role("link", name="Time travel").click()
    page.locator("#tt-versions").get_by_role("link", name="1 · OrderCreated").click()
    page.click("#tt-forward")
    expect(page.locator("#tt-version")).to_have_text("2")
    added = page.locator('#tt-lines tr[data-change="added"]')
    expect(added).to_contain_text("Immutable pen")
    expect(page.locator("#tt-fields tr.chronicle-changed")).to_have_count(1)
    expect(page.locator('#tt-fields [data-label="Total"]')).to_contain_text("was 49.00 EUR")
    page.click("#tt-forward")
    expect(page.locator('#tt-fields [data-label="Status"]')).to_contain_text("was PENDING")
    screenshot(page)
    page.click("#tt-back")
    expect(page.locator("#tt-version")).to_have_text("2")


def test_staff_open_an_orders_event_stream_and_its_correlation_page(staff_page, shop, screenshot):
    page = staff_page
    open_order(page, "Ada Lovelace")
    page.locator(".object-tools").get_by_role("link", name="Event stream").click()
    expect(page.locator("h1")).to_have_text(f"Stream order-{shop.paid}")
    rows = page.locator("#stream-events tbody tr")
    expect(rows.first).to_contain_text("OrderCreated")
    expect(rows.nth(2)).to_contain_text("OrderPaid")

    rows.first.locator("td").last.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(f"Correlation {shop.checkout}")
    events = page.locator("#correlation-events tbody tr")
    expect(events.nth(0)).to_contain_text("OrderCreated")
    expect(events.nth(1)).to_contain_text("ItemAddedToOrder")
    expect(events.nth(2)).to_contain_text("OrderPaid")
    screenshot(page)


def test_staff_rebuild_a_projection_and_see_it_return_to_caught_up(
    rebuilder_page, shop, monkeypatch, screenshot
):
    page = rebuilder_page
    execute(c.PayOrder(order_id=shop.pending, payment_id="pay-grace-1"))  # not projected yet
    monkeypatch.setattr(Conf, "SYNC", True)  # what the admin enqueues now runs at once
    page.goto(HEALTH)
    order_list = health_row(page, "order_list")
    expect(order_list).to_have_attribute("data-state", "behind")
    expect(order_list.locator("td.lag strong")).to_have_text("1")

    order_list.get_by_role("button", name="Rebuild").click()
    expect(page.locator(".messagelist")).to_contain_text("Rebuild of “order_list” queued.")
    order_list = health_row(page, "order_list")
    expect(order_list).to_have_attribute("data-state", "up to date")
    expect(order_list.locator("[data-generation]")).to_have_attribute("data-generation", "2")
    expect(order_list.locator("td.lag strong")).to_have_text("0")
    screenshot(page)

    task = Success.objects.get(func="projections.engine.tasks.rebuild")
    assert task.args == ("order_list",) and task.success
    page.locator("#content-main").get_by_role("link", name="Successful tasks").click()
    expect(page.locator("#result_list")).to_contain_text("projections.engine.tasks.rebuild")


def test_staff_see_a_failed_projections_error_and_retry_it(
    rebuilder_page, shop, monkeypatch, screenshot
):
    real = OrderListProjection.order_paid
    decline_payments(monkeypatch)
    catch_up(execute(c.PayOrder(order_id=shop.pending, payment_id="declined")))
    page = rebuilder_page
    page.goto(HEALTH)
    expect(health_row(page, "order_list")).to_have_attribute("data-state", "failing")
    failure = page.locator("#failure-order_list")
    expect(failure).to_contain_text("RuntimeError: card declined")
    expect(failure.locator("pre")).to_contain_text("Traceback (most recent call last)")
    screenshot(page)

    monkeypatch.setattr(OrderListProjection, "order_paid", real)  # the bug is fixed
    monkeypatch.setattr(Conf, "SYNC", True)
    health_row(page, "order_list").get_by_role("button", name="Retry").click()
    expect(health_row(page, "order_list")).to_have_attribute("data-state", "up to date")
    expect(page.locator("#failure-order_list")).to_have_count(0)


def test_staff_without_the_rebuild_permission_see_health_but_no_buttons(
    staff_page, shop, screenshot
):
    page = staff_page
    page.goto(HEALTH)
    expect(page.locator("#projection-health tbody tr")).not_to_have_count(0)
    expect(health_row(page, "order_list")).to_have_attribute("data-state", "up to date")
    expect(page.get_by_role("button", name="Rebuild")).to_have_count(0)
    expect(page.locator("#no-rebuild-note")).to_be_visible()
    screenshot(page)


def test_a_non_staff_login_is_refused_and_the_order_list_stays_closed(
    log_in, non_staff_user, shop, screenshot
):
    page = log_in(non_staff_user.username)
    expect(page.locator(".errornote")).to_contain_text("staff account")
    screenshot(page)
    page.goto(ORDERS)
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/projections/ordersummary/"))
    expect(page.locator("#id_username")).to_be_visible()
