"""Webhook subscriptions in a browser: a member of staff with the webhooks permission
registers one from the admin, reads its secret once, and the list shows it; without
the permission the Webhooks section is not there."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from tests.browser.admin_users import make_staff
from tests.browser.test_admin_layout import shoot
from webhooks import signing
from webhooks.models import Subscription

pytestmark = pytest.mark.browser


def test_staff_with_the_permission_register_a_subscription_and_see_its_secret_once(
    logged_in_page, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    user = make_staff("integrator")
    user.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    page = logged_in_page(user)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/admin/")
    page.get_by_role("link", name="Subscriptions").click()
    page.get_by_role("link", name="Add subscription").click()
    page.get_by_label("Target url").fill("http://169.254.169.254/latest/")
    page.get_by_label("Event types").fill('["OrderPaid"]')
    page.get_by_label("Stream types").fill("[]")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist").first).to_contain_text("private")
    assert not Subscription.objects.exists()

    page.get_by_label("Target url").fill("https://8.8.8.8/hooks")
    page.get_by_role("button", name="Save", exact=True).click()
    warning = page.locator(".messagelist .warning")
    expect(warning).to_contain_text("shown this once")
    secret = warning.inner_text().split("shown this once: ")[1].split(" ")[0]
    subscription = Subscription.objects.get()
    assert signing.open_sealed(subscription.sealed_secret, subscription.id) == secret
    expect(page.locator("#result_list")).to_contain_text("https://8.8.8.8/hooks")
    expect(page.locator("#result_list")).to_contain_text("OrderPaid")
    shoot(page, "webhook-subscriptions")
    fits = "document.querySelector('#result_list').scrollWidth"
    fits += " <= document.querySelector('.results').clientWidth"
    assert page.evaluate(fits)  # every column shows at 1280 px

    page.goto(f"/admin/webhooks/subscription/{subscription.pk}/change/")
    expect(page.get_by_label("Target url")).to_have_value("https://8.8.8.8/hooks")
    assert secret not in page.content()


def test_staff_without_the_permission_see_no_webhooks(logged_in_page):
    page = logged_in_page(make_staff("viewer"))
    page.goto("/admin/")
    expect(page.locator("#content-main")).not_to_contain_text("Subscriptions")
    assert page.goto("/admin/webhooks/subscription/").status == 403
