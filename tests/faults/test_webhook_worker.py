"""The webhooks' own cluster (``manage.py webhooks_worker``) against a real receiver:
a worker SIGKILLed while its target holds a delivery sends that one event again (with
the same ``webhook-id``) and nothing else twice; a target down for a minute gets every
event once it is back, in order; a target that never answers keeps the webhooks'
worker busy while the main cluster's projections catch up regardless.

PostgreSQL only: the clusters are other processes, and need a real database.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django_q.conf import Conf
from django_q.models import Schedule

from eventstore import store
from orders import commands as c
from orders.handlers import execute
from orders.processes.runner import registered
from projections.engine import dispatch
from projections.engine.projection import names as projection_names
from tests.faults import processes
from tests.faults.checks import caught_up
from tests.webhooks import receiver as receivers
from webhooks import registration
from webhooks.models import HeldStream

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECONDS = 60


@pytest.fixture
def only_wake_ups(monkeypatch):
    """Tasks go to the ORM broker in the test database; only the wake-ups (and, where a
    test keeps it, the webhooks' sweep) drive the clusters."""
    monkeypatch.setattr(Conf, "SYNC", False)
    Schedule.objects.exclude(name="webhooks: sweep").delete()


def process_names() -> list[str]:
    return [p.name for p in registered()]


def webhooks_worker(tmp_path: Path, name: str, **extra: str) -> processes.Process:
    env = processes.environment(
        processes.database_url(),
        WEBHOOKS_ALLOW_PRIVATE_TARGETS="true",
        WEBHOOKS_WORKERS="1",
        **extra,
    )
    command = [sys.executable, "manage.py", "webhooks_worker"]
    return processes.start(command, env, tmp_path / f"{name}.log")


def subscribe(target: receivers.Receiver, **fields) -> str:
    subscription, target.secret = registration.register(target_url=target.url, **fields)
    return str(subscription.pk)


def products(count: int, start: int = 0) -> list[store.RecordedEvent]:
    """``count`` new products, each its own stream; the events they appended."""
    for n in range(start, start + count):
        execute(c.AddProduct(sku=f"HOOK-{n}", name=f"Hooked {n}", price=Decimal("1.00")))
    return [e for e in store.read_all(limit=10_000) if e.stream_type == "product"]


def delivered_ids(target: receivers.Receiver) -> list[str]:
    return [r.json["event_id"] for r in target.accepted()]


def pid_of_client(port: int) -> int | None:
    """The process holding the TCP connection whose local port is ``port`` (a worker
    that is delivering to the receiver), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


def test_a_worker_killed_mid_delivery_sends_only_that_event_again(
    tmp_path, only_wake_ups, receiver
):
    subscription = subscribe(receiver, stream_types=["product"])
    events = products(6)
    in_flight = events[2]
    released = threading.Event()
    clients: list[int] = []

    def answer(request: receivers.Received) -> int:
        if request.json["event_id"] == str(in_flight.event_id) and not released.is_set():
            clients.append(request.client_port)
            released.wait(SECONDS)  # held until the worker delivering it is dead
        return 200

    receiver.answer = answer
    worker = webhooks_worker(tmp_path, "first")
    try:
        processes.wait_until(lambda: clients, SECONDS, "the third delivery to arrive")
        pid = pid_of_client(clients[0])
        assert pid is not None and pid != os.getpid()
        os.kill(pid, signal.SIGKILL)
        processes.wait_until(lambda: pid_of_client(clients[0]) is None, 10, "the worker's end")
        released.set()
        delivered = processes.settles(
            lambda: len(set(delivered_ids(receiver))) == 6 and not HeldStream.objects.exists(),
            SECONDS,
        )
    finally:
        worker.stop()
    assert delivered, worker.output()
    assert "reincarnated worker" in worker.output(20_000), worker.output()

    ids = delivered_ids(receiver)
    expected = [str(e.event_id) for e in events]
    assert sorted(set(ids)) == sorted(expected)
    assert [i for i in set(ids) if ids.count(i) > 1] == [str(in_flight.event_id)]
    # Every attempt at the in-flight event carried the same delivery id, and was signed.
    again = [r for r in receiver.received if r.json["event_id"] == str(in_flight.event_id)]
    assert len(again) == 2 and len({r.delivery_id for r in again}) == 1
    assert all(r.signature_ok for r in receiver.received)
    assert not HeldStream.objects.filter(subscription_id=subscription).exists()


def test_a_target_down_for_a_minute_gets_every_event_once_it_is_back(
    tmp_path, only_wake_ups, receiver
):
    subscribe(receiver, stream_types=["product"])
    down_until = time.monotonic() + 60
    receiver.answer = lambda request: 503 if time.monotonic() < down_until else 200
    worker = webhooks_worker(
        tmp_path, "patient", WEBHOOKS_RETRY_MAX_SECONDS="5", WEBHOOKS_MAX_ATTEMPTS="100"
    )
    try:
        events = products(3)
        time.sleep(20)
        events = products(3, start=3)  # more while it is down
        # Every event taken, and the worker's commit of the last one (its held stream
        # let go) behind it: the receiver answers before the worker records it.
        delivered = processes.settles(
            lambda: len(set(delivered_ids(receiver))) == 6 and not HeldStream.objects.exists(),
            60 + SECONDS,
        )
    finally:
        worker.stop()
    assert delivered, worker.output()
    assert sorted(delivered_ids(receiver)) == sorted(str(e.event_id) for e in events)
    assert len([r for r in receiver.received if r.status == 503]) >= 6  # it kept trying
    assert not HeldStream.objects.exists()


def test_a_target_that_never_answers_leaves_the_projections_lag_alone(
    tmp_path, only_wake_ups, receiver
):
    subscribe(receiver)  # every event
    receiver.hold.clear()  # every delivery hangs until the test ends
    env = processes.environment(processes.database_url(), WEBHOOKS_ALLOW_PRIVATE_TARGETS="true")
    main = processes.qcluster(env, tmp_path / "main.log")
    hooks = webhooks_worker(tmp_path, "stuck", WEBHOOKS_TIMEOUT_SECONDS="120")
    try:
        processes.wait_until_running(main)
        products(10)
        dispatch.wake()
        processes.wait_until(receiver.arrived.is_set, SECONDS, "a delivery to hang")
        readers = [*projection_names(), *process_names()]
        settled = processes.settles(lambda: caught_up(readers), SECONDS)
        still_hanging = not receiver.accepted()
    finally:
        receiver.hold.set()
        main.stop()
        hooks.stop()
    assert settled, main.output()
    assert still_hanging  # the projections caught up while the target held every delivery
