"""``make test`` on the embedded default runs the browser tests: SQLite in a file the
live server opens too, and Chromium's absence a skip that says how to install it
(a failure under ``CI=true``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from eventstore.models import Event
from tests.browser.conftest import require_chromium
from tests.browser.stories import record_checkout

pytestmark = pytest.mark.browser

NOWHERE = Path("/nonexistent/chromium")


def test_without_chromium_the_browser_tests_skip_saying_how_to_install_it(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(NOWHERE)


def test_without_chromium_under_ci_the_browser_tests_fail(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        require_chromium(NOWHERE)


def test_with_chromium_nothing_is_skipped(monkeypatch):
    monkeypatch.setenv("CI", "true")
    require_chromium(Path(__file__))  # any existing file


def test_the_live_server_serves_what_the_test_recorded(staff_page):
    if connection.vendor == "sqlite":
        assert not connection.is_in_memory_db(), "the live server's thread could not open it"
    record_checkout()
    staff_page.goto("/admin/eventstore/event/")
    expect(staff_page.locator("#result_list tbody tr")).to_have_count(Event.objects.count())
