"""The admin index's overview: events per hour (server-side SVG), orders by status, lag."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from eventstore.models import Event
from orders import commands as c
from orders.handlers import execute
from projections.admin import charts
from projections.admin.overview import Overview
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import Shop, open_shop

UTC = dt.UTC


@pytest.fixture
def shop(db) -> Shop:
    return open_shop()


@pytest.fixture
def staff_client(client, db):
    client.force_login(make_staff())
    return client


def index(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, element_id: str) -> str:
    return page.split(f'id="{element_id}"', 1)[1].split("</div>\n", 1)[0]


def test_the_index_charts_a_fresh_history_per_second_as_an_inline_svg(staff_client, shop):
    page = index(staff_client)
    chart = page.split('id="events-per-hour"', 1)[1].split("</svg>", 1)[0]
    assert "<svg" in chart and "<script" not in chart
    assert 'data-scale="second"' in chart  # the story took a second or two, not an hour
    assert "Events per second" in chart
    counts = [int(n) for n in re.findall(r'<rect class="bar"[^>]* data-count="(\d+)"', chart)]
    assert sum(counts) == Event.objects.count()
    assert f'id="events-total">{Event.objects.count()}<' in chart
    assert re.search(
        r"<title>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d–\d\d:\d\d:\d\d: \d+ events?</title>", chart
    )


@pytest.mark.parametrize(
    "later, noun, bars",
    [
        (dt.timedelta(seconds=0), "second", charts.MIN_BARS),
        (dt.timedelta(minutes=90), "minute", 91),
        (dt.timedelta(days=3), "hour", 73),
        (dt.timedelta(days=30), "day", 31),
        (dt.timedelta(days=400), "day", charts.MAX_BARS),
    ],
)
def test_the_charts_bars_follow_the_span_of_the_history(shop, later, noun, bars):
    """Seen ``later`` than the story, its events fall into the first bars, or before them."""
    admin = make_staff("chart-reader")
    now = timezone.now() + later
    chart = Overview(admin, now=now).events_chart
    assert chart is not None
    assert (chart.scale.noun, len(chart.bars)) == (noun, bars)
    recorded = Event.objects.count()
    assert chart.total == (recorded if bars < charts.MAX_BARS else 0)
    assert chart.bars[-1].start <= timezone.localtime(now) < chart.bars[-1].start + chart.scale.step


@pytest.mark.parametrize(
    "span, noun",
    [
        (dt.timedelta(0), "second"),
        (dt.timedelta(seconds=119), "second"),
        (dt.timedelta(seconds=120), "minute"),
        (dt.timedelta(hours=2), "hour"),
        (dt.timedelta(days=5), "day"),
        (dt.timedelta(days=4000), "day"),
    ],
)
def test_the_scale_is_the_finest_that_shows_the_span_in_at_most_120_bars(span, noun):
    assert charts.scale_for(span).noun == noun


def test_a_bar_says_when_it_was_at_its_scale():
    first = dt.datetime(2025, 3, 1, 22, 15, 30, tzinfo=UTC)
    seconds = charts.bucketed({first: 2}, charts.SECONDS, first, 30)
    assert seconds.bars[0].label == "2025-03-01 22:15:30–22:15:31: 2 events"
    assert [m.label for m in seconds.marks] == ["22:15:30", "22:15:45"]
    day = dt.datetime(2025, 3, 1, tzinfo=UTC)
    days = charts.bucketed({day: 1}, charts.DAYS, day, 30)
    assert days.bars[0].label == "Sat 01 Mar 2025: 1 event"
    assert days.marks[0].label == "03 Mar"  # Mondays


def test_the_index_loads_no_script_or_style_from_elsewhere(staff_client, shop):
    page = index(staff_client)
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_the_index_counts_orders_by_status_each_linked_to_the_filtered_list(staff_client, shop):
    page = index(staff_client)
    statuses = section(page, "orders-by-status")
    pattern = r'data-status="(\w+)">.*?class="chronicle-right count">(\d+)<'
    counts = dict(re.findall(pattern, statuses, re.S))
    assert counts == {"PENDING": "1", "PAID": "1", "SHIPPED": "0", "CANCELLED": "1"}
    assert 'href="/admin/projections/ordersummary/?status__exact=PAID"' in statuses


def test_the_index_shows_each_projections_lag_and_links_to_the_health_page(staff_client, shop):
    execute(c.PayOrder(order_id=shop.pending, payment_id="pay-grace-1"))
    lag = section(index(staff_client), "projection-lag")
    assert re.search(r'data-state="behind">\s*<th scope="row">order_list</th>', lag)
    assert "1 behind" in lag  # every projection reads every event
    assert 'href="/admin/projections/projectionstate/"' in lag


def test_the_overview_leaves_out_what_the_user_may_not_view(client, django_user_model, shop):
    user = django_user_model.objects.create_user("orders-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_ordersummary"))
    client.force_login(user)
    page = index(client)
    assert 'id="orders-by-status"' in page
    assert 'id="events-per-hour"' not in page and 'id="projection-lag"' not in page


def test_app_index_pages_show_no_overview(staff_client, shop):
    page = staff_client.get("/admin/projections/").content.decode()
    assert 'id="events-per-hour"' not in page and 'id="orders-by-status"' not in page


# The chart's geometry.


def test_an_hourly_chart_has_one_bar_per_hour_scaled_to_a_round_peak():
    first = dt.datetime(2025, 3, 1, 22, tzinfo=UTC)
    counts = {first: 3, first + dt.timedelta(hours=2): 7}
    chart = charts.hourly(counts, first, hours=4)
    assert [bar.count for bar in chart.bars] == [3, 0, 7, 0]
    assert (chart.peak, chart.total) == (7, 10)
    assert [level.label for level in chart.levels] == ["0", "4", "8"]  # 7 rounds up to 8
    tallest = chart.bars[2]
    plot = charts.HEIGHT - charts.TOP - charts.BOTTOM
    assert tallest.height == pytest.approx(plot * 7 / 8)
    assert tallest.y + tallest.height == pytest.approx(charts.HEIGHT - charts.BOTTOM)
    assert chart.busiest is tallest
    assert tallest.label == "2025-03-02 00:00–01:00: 7 events"


def test_an_hourly_chart_marks_each_midnight():
    first = dt.datetime(2025, 3, 1, 12, tzinfo=UTC)
    chart = charts.hourly({}, first, hours=48)
    assert [mark.label for mark in chart.marks] == ["Sun 02 Mar", "Mon 03 Mar"]
    assert chart.busiest is None and chart.total == 0


@pytest.mark.parametrize(
    "value, ceiling",
    [(0, 2), (1, 2), (3, 3), (7, 8), (9, 10), (11, 15), (202, 250), (999, 1000)],
)
def test_the_chart_scale_is_a_round_number_at_or_above_the_peak(value, ceiling):
    assert charts._nice_ceiling(value) == ceiling
