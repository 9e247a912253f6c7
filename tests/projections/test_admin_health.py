"""Projection health in admin: state, lag, errors; Rebuild and Retry behind one permission."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Success

from eventstore.models import Event
from orders import commands as c
from orders.handlers import execute
from projections.admin import views as admin_views
from projections.engine import rebuilding, runner, throughput
from projections.models import OrderSummary, ProjectionProgress, ProjectionState
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import Shop, catch_up, decline_payments, open_shop

pytestmark = pytest.mark.django_db

HEALTH = "/admin/projections/projectionstate/"


@pytest.fixture
def shop() -> Shop:
    return open_shop()


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff())
    return client


@pytest.fixture
def rebuilder_client(client):
    client.force_login(make_staff("rebuilder", rebuild=True))
    return client


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple]:
    """The django-q2 tasks the admin enqueues, instead of enqueueing them."""
    calls: list[tuple] = []
    monkeypatch.setattr(admin_views, "async_task", lambda *args, **kw: calls.append(args))
    return calls


@pytest.fixture
def declined_payments(monkeypatch):
    decline_payments(monkeypatch)
    return monkeypatch


def row_of(response, name: str):
    return next(row for row in response.context["rows"] if row.name == name)


def rebuild_url(name: str) -> str:
    return reverse("admin:projections_projectionstate_rebuild", args=[name])


def retry_url(name: str) -> str:
    return reverse("admin:projections_projectionstate_retry", args=[name])


def test_health_shows_each_projections_state_checkpoint_lag_and_throughput(staff_client, shop):
    response = staff_client.get(HEALTH)
    assert response.status_code == 200
    order_list = row_of(response, "order_list")
    assert order_list.status.state == "up to date"
    assert order_list.status.lag_events == 0
    # What the runner applied: every event of the story, in the batches that caught up.
    assert order_list.throughput.applied == Event.objects.count()
    assert order_list.throughput.batches >= 1
    assert order_list.throughput.per_second > 0
    assert row_of(response, "fulfillment").throughput is None  # a process keeps no record
    page = response.content.decode()
    for name in ("catalog", "customer_directory", "customer_statistics", "order_list"):
        assert f'<tr id="projection-{name}" data-state="up to date">' in page
    assert f'id="log-head">{order_list.status.head.position}<' in page


def test_a_projection_behind_shows_its_lag_in_events_and_seconds(staff_client, shop):
    execute(c.PayOrder(order_id=shop.pending, payment_id="pay-grace-1"))
    response = staff_client.get(HEALTH)
    order_list = row_of(response, "order_list")
    assert order_list.status.state == "behind"
    assert order_list.status.lag_events >= 1
    assert order_list.status.lag_seconds >= 0
    assert order_list.throughput.applied == Event.objects.count() - 1  # not the payment yet


def test_throughput_is_what_the_batches_applied_per_second_of_their_work():
    now = timezone.now()
    throughput.record("a_projection", 500, 1.5, now - dt.timedelta(seconds=30))
    throughput.record("a_projection", 100, 0.5, now)
    throughput.record("a_projection", 9_000, 1.0, now - dt.timedelta(minutes=20))  # too old
    recent = throughput.recent(now)["a_projection"]
    assert (recent.applied, recent.batches) == (600, 2)
    assert recent.per_second == pytest.approx(300)  # 600 events in 2 s of work, not 600 / 15 min


def test_a_new_minutes_record_drops_those_older_than_an_hour():
    now = timezone.now()
    throughput.record("a_projection", 5, 0.1, now - dt.timedelta(hours=2))
    throughput.record("a_projection", 5, 0.1, now - dt.timedelta(minutes=59))
    throughput.record("a_projection", 5, 0.1, now)
    minutes = ProjectionProgress.objects.filter(name="a_projection").count()
    assert minutes == 2


def test_the_health_page_shows_the_rate_and_what_was_applied(staff_client, shop):
    page = staff_client.get(HEALTH).content.decode()
    row = page.split('id="projection-order_list"', 1)[1].split("</tr>", 1)[0]
    assert f'<span class="throughput-applied">{Event.objects.count()}</span> applied in' in row
    assert re.search(r'<span class="throughput-rate">\d+</span> events/s', row)
    fulfillment = page.split('id="projection-fulfillment"', 1)[1].split("</tr>", 1)[0]
    assert "not recorded" in fulfillment


def test_a_failed_projection_shows_its_error_the_failing_event_and_the_traceback(
    rebuilder_client, shop, declined_payments
):
    result = execute(c.PayOrder(order_id=shop.pending, payment_id="declined"))
    catch_up(result)
    response = rebuilder_client.get(HEALTH)
    assert row_of(response, "order_list").status.state == "failing"
    page = response.content.decode()
    failure = page.split('id="failure-order_list"', 1)[1].split("</section>", 1)[0]
    assert "RuntimeError: card declined" in failure
    event = reverse("admin:eventstore_event_change", args=[result.position])
    assert f'href="{event}">#{result.position}</a>' in failure
    assert "Traceback (most recent call last)" in failure and "order_paid" in failure
    assert f'action="{retry_url("order_list")}"' in page


def test_staff_without_the_rebuild_permission_see_health_but_no_buttons(staff_client, shop):
    page = staff_client.get(HEALTH).content.decode()
    assert 'id="projection-order_list"' in page
    assert rebuild_url("order_list") not in page and "/retry/" not in page
    assert 'id="no-rebuild-note"' in page


def test_staff_with_the_rebuild_permission_see_a_rebuild_button_per_projection(
    rebuilder_client, shop
):
    page = rebuilder_client.get(HEALTH).content.decode()
    for name in ("catalog", "customer_directory", "customer_statistics", "order_list"):
        assert f'action="{rebuild_url(name)}"' in page
    assert "/retry/" not in page  # nothing failed


@pytest.mark.parametrize("url", [rebuild_url("order_list"), retry_url("order_list")])
def test_a_forged_rebuild_or_retry_without_the_permission_is_refused(
    staff_client, shop, enqueued, django_capture_on_commit_callbacks, url
):
    ProjectionState.objects.filter(name="order_list").update(retry_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url)
    assert response.status_code == 403
    assert enqueued == []
    state = ProjectionState.objects.get(name="order_list")
    assert state.rebuild_generation is None and state.retry_at is not None


def test_rebuild_and_retry_accept_post_only(rebuilder_client, shop, enqueued):
    assert rebuilder_client.get(rebuild_url("order_list")).status_code == 405
    assert rebuilder_client.get(retry_url("order_list")).status_code == 405
    assert enqueued == []


def test_an_unknown_projection_cannot_be_rebuilt_or_retried(rebuilder_client, shop, enqueued):
    assert rebuilder_client.post(rebuild_url("nope")).status_code == 404
    assert rebuilder_client.post(retry_url("nope")).status_code == 404


def test_rebuild_enqueues_the_django_q2_rebuild_task_after_commit(
    rebuilder_client, shop, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = rebuilder_client.post(rebuild_url("order_list"))
    assert response.status_code == 302 and response["Location"] == HEALTH
    assert len(callbacks) == 1
    assert enqueued == [("projections.engine.tasks.rebuild", "order_list")]
    page = rebuilder_client.get(HEALTH).content.decode()
    assert "Rebuild of “order_list” queued." in page


def test_a_rebuild_runs_through_django_q2_and_switches_to_a_new_generation(
    rebuilder_client, shop, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 runs the task in-process
    with django_capture_on_commit_callbacks(execute=True):
        rebuilder_client.post(rebuild_url("order_list"))

    task = Success.objects.get(func="projections.engine.tasks.rebuild")
    assert task.args == ("order_list",)
    response = rebuilder_client.get(HEALTH)
    order_list = row_of(response, "order_list")
    assert (order_list.status.generation, order_list.status.state) == (2, "up to date")
    assert OrderSummary.objects.filter(generation=2).count() == 3


def test_a_rebuild_under_way_shows_its_progress_refreshes_and_offers_no_second_rebuild(
    rebuilder_client, shop, enqueued, settings
):
    rebuilding.start("customer_statistics")
    response = rebuilder_client.get(HEALTH)
    statistics = row_of(response, "customer_statistics")
    assert statistics.status.state == "rebuilding"
    assert statistics.rebuild_percent == 0
    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page
    assert f'action="{rebuild_url("customer_statistics")}"' not in page
    assert "rebuilding generation 2" in page

    rebuilder_client.post(rebuild_url("customer_statistics"))
    assert enqueued == []  # already being rebuilt


def test_retry_clears_the_backoff_and_enqueues_a_catch_up_that_mends_the_projection(
    rebuilder_client, shop, declined_payments, monkeypatch, django_capture_on_commit_callbacks
):
    catch_up(execute(c.PayOrder(order_id=shop.pending, payment_id="declined")))
    assert ProjectionState.objects.get(name="order_list").retry_at > timezone.now()

    declined_payments.undo()  # the bug is fixed
    monkeypatch.setattr(Conf, "SYNC", True)
    with django_capture_on_commit_callbacks(execute=True):
        response = rebuilder_client.post(retry_url("order_list"))
    assert response.status_code == 302

    assert Success.objects.get(func="projections.engine.tasks.catch_up").args == ("order_list",)
    state = ProjectionState.objects.get(name="order_list")
    assert (state.error, state.failures, state.retry_at) == ("", 0, None)
    assert OrderSummary.objects.get(order_id=shop.pending).status == "PAID"
    assert runner.advance(["order_list"]).failed == []


def test_django_q2_task_pages_stay_available_from_the_health_page(staff_client, shop):
    page = staff_client.get(HEALTH).content.decode()
    for name in ("success", "failure"):
        url = reverse(f"admin:django_q_{name}_changelist")
        assert f'href="{url}"' in page
        assert staff_client.get(url).status_code == 200


def test_a_state_row_is_read_only_even_for_a_superuser(client, django_user_model, shop):
    client.force_login(django_user_model.objects.create_superuser("admin", password=None))
    change = reverse("admin:projections_projectionstate_change", args=["order_list"])
    page = client.get(change).content.decode()
    assert "View projection state" in page and 'name="_save"' not in page
    assert client.post(change, {"position": 0, "generation": 9}).status_code == 403
    delete = reverse("admin:projections_projectionstate_delete", args=["order_list"])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:projections_projectionstate_add")).status_code == 403
    state = ProjectionState.objects.get(name="order_list")
    assert state.generation == 1 and state.position > 0
