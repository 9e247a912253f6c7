"""A django-q2 worker SIGKILLed in the middle of a projection batch, or of a rebuild,
loses nothing: the cluster restarts it, the restarted worker finishes, and the read
models equal a fresh rebuild.

The fault point (``eventstore.subscriptions.faults``) stops the worker inside the batch holding
event N, its transaction open and the projection locked, until the test kills it.
PostgreSQL only: the cluster is another process, and needs a real database.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.tasks import async_task

from eventstore import store
from projections.engine import dispatch, runner
from projections.engine.freshness import read_view
from projections.engine.projection import get
from projections.engine.runner import Outcome
from projections.models import OrderSummary, ProjectionState
from tests.faults import processes
from tests.faults.checks import (
    catch_up_here,
    caught_up,
    differences,
    read_models,
    rebuilt_read_models,
    shop_history,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VICTIM = "order_details"
STARTUP_AND_WORK_SECONDS = 45


@pytest.fixture
def quiet_broker(monkeypatch):
    """Tasks go to the ORM broker in the test database; no sweep fires behind the test."""
    monkeypatch.setattr(Conf, "SYNC", False)
    Schedule.objects.all().delete()


def start_armed_cluster(tmp_path: Path, block_at: int, **extra: str) -> processes.Process:
    env = processes.environment(
        processes.database_url(),
        CHRONICLE_FAULT_BLOCK_AT=str(block_at),
        CHRONICLE_FAULT_FLAG=str(tmp_path / "blocked.pid"),
        CHRONICLE_FAULT_PROJECTION=VICTIM,
        PROJECTIONS_BATCH_SIZE="10",
        **extra,
    )
    return processes.qcluster(env, tmp_path / "qcluster.log")


def wait_until_blocked(tmp_path: Path, cluster: processes.Process) -> int:
    """The pid of the worker the fault point stopped."""
    flag = tmp_path / "blocked.pid"
    try:
        processes.wait_until(flag.exists, STARTUP_AND_WORK_SECONDS, "the worker to block")
        processes.wait_until(lambda: flag.read_text().strip(), 5, "the blocked worker's pid")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{cluster.output()}") from None
    return int(flag.read_text())


def middle_position() -> int:
    """The position of the middle event (positions may have holes: failed appends)."""
    events = store.read_all(limit=100_000)
    return events[len(events) // 2].position


def test_a_worker_killed_in_the_middle_of_a_batch_is_replaced_and_nothing_is_lost(
    tmp_path, quiet_broker
):
    shop_history(orders=24)
    block_at = middle_position()
    cluster = start_armed_cluster(tmp_path, block_at)
    try:
        dispatch.wake()
        pid = wait_until_blocked(tmp_path, cluster)
        # Blocked inside the batch: it holds the projection, which has not passed event N.
        assert runner.run_batch(get(VICTIM)).outcome is Outcome.BUSY
        assert ProjectionState.objects.get(name=VICTIM).checkpoint < store.checkpoint_of(block_at)

        os.kill(pid, signal.SIGKILL)
        dispatch.wake()  # as the next commit (or the sweep) would
        settled = processes.settles(caught_up, STARTUP_AND_WORK_SECONDS)
    finally:
        cluster.stop()
    assert settled, f"the restarted worker did not catch up\n{cluster.output()}"

    assert "reincarnated worker" in cluster.output(20_000), cluster.output()
    live = read_models()
    assert sum(len(rows) for rows in live.values()) > 50
    assert differences(live, rebuilt_read_models()) == {}


def test_a_worker_killed_in_the_middle_of_a_rebuild_is_replaced_and_the_rebuild_completes(
    tmp_path, quiet_broker, client, django_user_model
):
    shop_history(orders=24)
    catch_up_here()
    orders = OrderSummary.objects.count()
    block_at = middle_position()
    cluster = start_armed_cluster(tmp_path, block_at, FAULTS_REBUILD_BATCH_SIZE="10")
    try:
        # what the admin's rebuild button sends
        async_task("projections.engine.tasks.rebuild", VICTIM)
        pid = wait_until_blocked(tmp_path, cluster)

        state = ProjectionState.objects.get(name=VICTIM)
        assert (state.generation, state.rebuild_generation) == (1, 2)
        assert store.START < state.rebuild_checkpoint < store.checkpoint_of(block_at)
        client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
        assert client.get("/api/orders/", {"page_size": 100}).json()["count"] == orders
        order_id = OrderSummary.objects.values_list("order_id", flat=True).first()
        assert client.get(f"/api/orders/{order_id}").status_code == 200  # generation 1 answers

        os.kill(pid, signal.SIGKILL)
        dispatch.wake()
        settled = processes.settles(caught_up, STARTUP_AND_WORK_SECONDS)
    finally:
        cluster.stop()
    assert settled, f"the rebuild did not finish\n{cluster.output()}"

    assert "reincarnated worker" in cluster.output(20_000), cluster.output()
    assert read_view(VICTIM).generation == 2
    assert differences(read_models(), rebuilt_read_models()) == {}
