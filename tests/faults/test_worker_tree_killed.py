"""The whole worker tree SIGKILLed while clients send commands: once a worker is
available again, everything committed is projected and every paid order reserved
within ``RECOVERY_SECONDS``, on django-q2's ORM broker and on Redis.

Client threads take orders through their life (each commit wakes the workers) while
a cluster of two workers runs the catch-up tasks. The fault point
(``eventstore.subscriptions.faults``) stops the fulfillment subscriber inside a batch, holding
its place; the test then SIGKILLs the cluster's session (sentinel, pusher, monitor,
workers) with the clients still running, and stops the clients. What the dead tree
held is gone with it: the catch-up tasks it had taken (the ORM broker hands them out
again only after ``Q_CLUSTER["retry"]``, Redis never) and the subscriber's place.
A new cluster is started; the time from its "running." to every projection and the
subscriber at the head, with every paid order reserved, is the recovery time.

Needs PostgreSQL; the Redis case needs Redis too (``FAULTS_REDIS_URL``, default
redis://127.0.0.1:6379/0) and listens on a queue of its own.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from django_q.conf import Conf
from django_q.models import Schedule

from eventstore import store
from eventstore.models import Event
from orders.processes.fulfillment import NAME as FULFILLMENT
from orders.processes.state import ProcessState
from projections.models import ProjectionState
from tests.faults import processes
from tests.faults.checks import (
    caught_up,
    differences,
    order_through_its_life,
    read_models,
    rebuilt_read_models,
    shop,
)
from tests.faults.redis_queue import REDIS_URL, own_queue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 5
PAUSE_BETWEEN_ORDERS = 0.5  # seconds: a pace the workers keep up with on a shared 2-CPU machine
EVENTS_BEFORE_THE_FAULT = 40
CLIENTS_RUN_ON_FOR = 1.0  # seconds after the subscriber blocked, before the kill
RECOVERY_SECONDS = 15
STARTUP_AND_WORK_SECONDS = 45


@pytest.fixture(params=["orm", "redis"])
def broker(request, monkeypatch) -> Iterator[dict[str, str]]:
    """The environment of the clusters; this process's wake-ups go to the same queue."""
    monkeypatch.setattr(Conf, "SYNC", False)
    Schedule.objects.all().delete()  # no sweep: only wake-ups and start-up drive the workers
    if request.param == "orm":
        yield {}
        return
    with own_queue(monkeypatch) as queue:
        yield {"REDIS_URL": REDIS_URL, "FAULTS_Q_QUEUE": queue}


class Clients:
    """``CLIENTS`` threads taking orders through their life until ``stop``, each at a pace
    the workers keep up with, so what is left after the kill is what the fault held up."""

    def __init__(self) -> None:
        self.customers, self.products = shop()
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(CLIENTS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def _run(self, client: int) -> None:
        try:
            n = client
            while not self.stopping.is_set():
                order_through_its_life(n, self.customers, self.products)
                n += CLIENTS
                self.stopping.wait(PAUSE_BETWEEN_ORDERS)
        except BaseException as error:
            self.errors.append(error)
        finally:
            connections.close_all()


def unreserved_paid_orders() -> set[str]:
    """Orders paid and neither reserved (ready to ship) nor cancelled."""
    streams = Event.objects.values_list("stream_id", flat=True)
    paid = set(streams.filter(event_type="OrderPaid"))
    done = set(streams.filter(event_type__in=["OrderReadyToShip", "OrderCancelled"]))
    return paid - done


def recovered() -> bool:
    return caught_up() and not unreserved_paid_orders()


def where_everyone_is() -> str:
    states = [*ProjectionState.objects.all(), *ProcessState.objects.all()]
    checkpoints = {s.name: s.position for s in states}
    return f"head {store.head()}, checkpoints {checkpoints}, unreserved {unreserved_paid_orders()}"


def kill_the_tree(cluster: processes.Process) -> None:
    """SIGKILL the cluster's whole session at once: no process gets to clean up."""
    os.killpg(cluster.popen.pid, signal.SIGKILL)
    cluster.popen.wait(10)


def test_after_the_worker_tree_is_killed_a_new_worker_recovers_everything_within_15_s(
    tmp_path: Path, broker: dict[str, str]
):
    clients = Clients()
    flag = tmp_path / "blocked.pid"
    env = processes.environment(
        processes.database_url(),
        CHRONICLE_FAULT_BLOCK_AT=str(store.head().position + EVENTS_BEFORE_THE_FAULT),
        CHRONICLE_FAULT_FLAG=str(flag),
        CHRONICLE_FAULT_PROJECTION=FULFILLMENT,
        Q_WORKERS="2",
        PROJECTIONS_BATCH_SIZE="20",
        **broker,
    )
    first = processes.qcluster(env, tmp_path / "first.log")
    second = None
    try:
        processes.wait_until_running(first)
        clients.start()
        try:
            processes.wait_until(flag.exists, STARTUP_AND_WORK_SECONDS, "the subscriber to block")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{first.output()}") from None
        time.sleep(CLIENTS_RUN_ON_FOR)
        kill_the_tree(first)
        clients.stop()
        assert clients.errors == []
        assert not caught_up() and unreserved_paid_orders(), "nothing left to recover"

        second = processes.qcluster(env, tmp_path / "second.log")  # the flag exists: no fault
        processes.wait_until_running(second)
        available = time.monotonic()
        settled = processes.settles(recovered, STARTUP_AND_WORK_SECONDS)
        took = time.monotonic() - available
        where = where_everyone_is()
    finally:
        for cluster in (first, second):
            if cluster is not None:
                cluster.stop()
    which = "redis" if broker else "orm"
    print(f"\n{which} broker: {took:.1f} s from the new cluster running to recovered: {settled}")
    logs = f"{first.output()}\n--- the new cluster ---\n{second.output()}"
    assert settled and took <= RECOVERY_SECONDS, (
        f"recovered: {settled} after {took:.1f} s\n{where}\n{logs}"
    )

    assert differences(read_models(), rebuilt_read_models()) == {}
