"""A real ``manage.py qcluster`` process catches the read models up after a commit.

PostgreSQL only: pytest-django's SQLite test database lives in memory, invisible
to another process; the PostgreSQL test database is a real one the cluster can use.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from django.conf import settings
from django.db import connection
from django_q.conf import Conf
from django_q.models import Schedule

from projections.engine import dispatch
from projections.engine.projection import names
from projections.models import CatchUpRequest, OrderSummary, ProjectionState

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STARTUP_AND_WORK_SECONDS = 60


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_cluster(log) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "Q_SYNC": "0", "Q_WORKERS": "1"}
    env.pop("REDIS_URL", None)
    manage = settings.BASE_DIR / "manage.py"
    return subprocess.Popen(
        [sys.executable, str(manage), "qcluster"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def stop_cluster(cluster: subprocess.Popen) -> None:
    """qcluster can hang on SIGTERM: give it a few seconds, then kill it."""
    cluster.send_signal(signal.SIGTERM)
    try:
        cluster.wait(timeout=10)
    except subprocess.TimeoutExpired:
        cluster.kill()
        cluster.wait(timeout=10)


def caught_up() -> bool:
    states = ProjectionState.objects.filter(name__in=names()).values_list("name", "position")
    return len(states) == len(names()) and all(position > 0 for _, position in states)


def test_a_qcluster_process_projects_what_a_command_committed(shop, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)
    Schedule.objects.all().delete()  # so only the wake-up can have done it
    alice = shop.customer()
    mug = shop.product("MUG", "2.50")
    order_id = shop.order(alice, (mug, 2))
    dispatch.wake()  # what the write side does on commit: one task in the ORM broker

    with tempfile.TemporaryFile() as log:
        cluster = start_cluster(log)
        try:
            deadline = time.monotonic() + STARTUP_AND_WORK_SECONDS
            while not caught_up() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop_cluster(cluster)
            log.seek(0)
            output = log.read().decode(errors="replace")

    assert caught_up(), output[-3000:]
    row = OrderSummary.objects.get(order_id=order_id)
    assert (row.customer_name, str(row.total_amount)) == ("Alice", "5.00")
    assert CatchUpRequest.objects.get().requested_at is None, "the task acknowledged the wake-up"
