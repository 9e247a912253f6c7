"""Playwright fixtures: Debian's chromium, headless, against pytest-django's live server.

Mark browser tests ``browser``. They run on both backends: the live server answers
from a thread with its own database connection, so on SQLite a run with browser
tests keeps its test database in a file (``django_db_modify_db_settings`` in
tests/conftest.py). The browser is the system's /usr/bin/chromium; never run
``playwright install`` (no downloads). Without it the tests skip, saying how to
install it; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API keeps an event loop running in the test thread; Django's ORM
# refuses to run beside one unless told it is safe (it is: nothing here is async).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "a-browser-test-password"
VIEWPORT = {"width": 1366, "height": 900}
# What staff browse; not logins or API tokens.
STAFF_APPS = ("eventstore", "orders", "projections", "django_q")


def require_chromium(chromium: Path = CHROMIUM) -> None:
    """Skip when ``chromium`` is missing, saying how to install it; fail under ``CI=true``."""
    if chromium.exists():
        return
    missing = f"{chromium} is missing; install it with: sudo apt-get install chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{missing} (CI=true: browser tests may not be skipped)", pytrace=False)
    pytest.skip(missing)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def staff_user(django_user_model):
    """A staff member who may view Chronicle's records and change nothing."""
    user = django_user_model.objects.create_user(
        "staff", "staff@example.com", PASSWORD, is_staff=True, first_name="Sam"
    )
    views = Permission.objects.filter(
        codename__startswith="view_", content_type__app_label__in=STAFF_APPS
    )
    user.user_permissions.set(views)
    return user


@pytest.fixture
def non_staff_user(django_user_model):
    return django_user_model.objects.create_user("customer", "customer@example.com", PASSWORD)


@pytest.fixture
def log_in(page: Page) -> Callable[..., Page]:
    """``log_in(username)``: sign in through the admin's login form, as a person would."""

    def submit(username: str, password: str = PASSWORD) -> Page:
        page.goto("/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        return page

    return submit


@pytest.fixture
def logged_in_page(page: Page, live_server) -> Callable[[object], Page]:
    """``logged_in_page(user)``: the page with ``user``'s session, without the login form."""

    def as_user(user: object) -> Page:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        name, value = settings.SESSION_COOKIE_NAME, cookie.value
        page.context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
        return page

    return as_user


@pytest.fixture
def staff_page(logged_in_page, staff_user) -> Page:
    return logged_in_page(staff_user)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page], Path]:
    """``screenshot(page)``: the full page, saved as test-artifacts/screenshots/<test>.png."""

    def take(page: Page) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
