"""Each django-q2 cluster recovers its own group as a worker starts: the webhooks'
cluster its deliveries (on its own queue), the main cluster, whatever its
``cluster_name``, the projections and processes, never the other's."""

from __future__ import annotations

import pytest
from django_q.conf import Conf

from orders.processes import dispatch as process_dispatch
from webhooks import dispatch as webhook_dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    found: list[tuple[str, str | None]] = []
    monkeypatch.setattr(Conf, "SYNC", False)
    for module in (process_dispatch, webhook_dispatch):
        monkeypatch.setattr(
            module, "async_task", lambda task, **kw: found.append((task, kw.get("cluster")))
        )
    return found


@pytest.mark.parametrize("main_name", ["chronicle", "chronicle-faults-1234"])
def test_a_main_cluster_worker_recovers_the_processes_and_not_the_webhooks(
    monkeypatch, enqueued, main_name
):
    monkeypatch.setattr(Conf, "CLUSTER_NAME", main_name)
    process_dispatch.recover()
    webhook_dispatch.recover()
    assert enqueued == [(process_dispatch.CATCH_UP_TASK, None)]


def test_a_webhooks_worker_recovers_the_webhooks_on_their_queue_and_nothing_else(
    monkeypatch, enqueued
):
    monkeypatch.setattr(Conf, "CLUSTER_NAME", webhook_dispatch.CLUSTER)
    process_dispatch.recover()
    webhook_dispatch.recover()
    assert enqueued == [(webhook_dispatch.CATCH_UP_TASK, webhook_dispatch.CLUSTER)]
