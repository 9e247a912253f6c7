"""/metrics: Prometheus text for staff and the metrics token, nobody else; commands,
appends, batches, lag and stuck items; summed across gunicorn workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from orders import commands as c
from orders.errors import OrderNotPending
from orders.handlers import execute
from tests.browser.admin_users import make_staff
from tests.browser.shop_story import catch_up, open_shop

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(found, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def staff(client):
    client.force_login(make_staff("watcher"))
    return client


def test_only_staff_and_the_token_may_scrape(client, settings, django_user_model):
    assert client.get("/metrics").status_code == 401
    client.force_login(django_user_model.objects.create_user("customer"))
    assert client.get("/metrics").status_code == 401
    settings.METRICS_TOKEN = "s3cret-token"
    api = APIClient()
    assert api.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = api.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")


def test_commands_appends_batches_lag_and_stuck_items_are_counted(
    staff, django_capture_on_commit_callbacks
):
    before = samples(staff.get("/metrics").content.decode())
    with django_capture_on_commit_callbacks(execute=True):  # appends count once committed
        shop = open_shop()
        execute(c.PayOrder(order_id=shop.pending, payment_id="pay-m"))
    with pytest.raises(OrderNotPending):
        execute(c.PayOrder(order_id=shop.pending, payment_id="pay-again"))
    catch_up()
    found = samples(staff.get("/metrics").content.decode())

    def grew(name: str, **labels: str) -> float:
        return value(found, name, **labels) - value(before, name, **labels)

    assert grew("chronicle_commands_total", command="PayOrder", outcome="ok") == 2  # + open_shop's
    assert grew("chronicle_commands_total", command="PayOrder", outcome="order_not_pending") == 1
    assert grew("chronicle_command_seconds_count", command="PayOrder") == 3
    assert grew("chronicle_events_appended_total", event_type="OrderPaid") == 2
    assert (
        grew("chronicle_projection_batch_seconds_count", projection="order_list", track="live") >= 1
    )
    assert value(found, "chronicle_lag_events", reader="order_list", kind="projection") == 0
    assert ("chronicle_lag_seconds", (("kind", "process"), ("reader", "fulfillment"))) in found
    assert any(name == "django_http_requests_total_by_method_total" for name, _ in found)


def test_a_stuck_projection_is_counted(staff, monkeypatch):
    from tests.browser.shop_story import decline_payments

    shop = open_shop()
    decline_payments(monkeypatch)
    catch_up(execute(c.PayOrder(order_id=shop.pending, payment_id="declined")))
    found = samples(staff.get("/metrics").content.decode())
    assert value(found, "chronicle_stuck_items", reader="order_list", kind="projection") == 1
    assert value(found, "chronicle_lag_events", reader="order_list", kind="projection") >= 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gunicorn_workers_are_summed(tmp_path):
    """prometheus-client's multiprocess mode: each worker counts in its own files."""
    port, token = _free_port(), "token-for-the-test"
    database = tmp_path / "metrics.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "SQLITE_PATH": str(database),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "CHRONICLE_METRICS_TOKEN": token,
    }
    (tmp_path / "prometheus").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        for _ in range(40):  # new connections: gunicorn spreads them over both workers
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                assert r.status == 200
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        pids = {p.name.rsplit("_", 1)[-1] for p in (tmp_path / "prometheus").glob("counter_*.db")}
    finally:
        server.terminate()
        server.wait(20)
    found = samples(text)
    healthz = sum(
        v
        for (name, labels), v in found.items()
        if name == "django_http_requests_total_by_view_transport_method_total"
        and dict(labels).get("view") == "healthz"
    )
    assert healthz >= 41  # every request, whichever worker answered it
    assert len(pids) == 2, pids  # both workers counted, each in its own files
