"""The staff admin at laptop widths: the events list fits its page, the index puts
Chronicle's sections first, the chart's bars follow the data, "View site" leads to
a landing page, and no page asks for a favicon that is not there."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

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
