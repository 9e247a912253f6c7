"""Two django-q2 clusters on one Redis broker, both woken by a stream of commands:
every event is applied once per projection (docs/architecture.md, invariant 8).

A trigger records every checkpoint move and which cluster made it (each cluster
connects with its own ``application_name``). Each projection's moves must chain from
the start of the log to its head, every batch starting where the previous one ended,
whichever cluster ran it: an event applied twice would start a move behind the
previous one's end, a skipped one would leave a gap. The read models must then equal
a fresh rebuild.

Needs PostgreSQL and Redis (``FAULTS_REDIS_URL``, default redis://127.0.0.1:6379/0).
The clusters listen on a queue of this test's own, so other runs on the same Redis
are left alone.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django_q.conf import Conf
from django_q.models import Schedule

from orders.processes.runner import names as subscriber_names
from projections.engine.projection import names as projection_names
from tests.faults import processes
from tests.faults.checks import (
    CheckpointMoves,
    caught_up,
    differences,
    order_through_its_life,
    read_models,
    rebuilt_read_models,
    shop,
)
from tests.faults.redis_queue import REDIS_URL, own_queue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS, ORDERS_EACH = 3, 12
CLUSTERS = ("cluster-a", "cluster-b")
SETTLE_SECONDS = 50


@pytest.fixture
def queue(monkeypatch):
    """A Redis queue of this test's own; the wake-ups of this process's commits go to it."""
    with own_queue(monkeypatch) as name:
        monkeypatch.setattr(Conf, "SYNC", False)
        Schedule.objects.all().delete()  # only the wake-ups drive the clusters
        yield name


def start_cluster(name: str, queue: str, log_dir) -> processes.Process:
    url = processes.database_url(application_name=name)
    env = processes.environment(
        url, REDIS_URL=REDIS_URL, FAULTS_Q_QUEUE=queue, Q_WORKERS="2", PROJECTIONS_BATCH_SIZE="5"
    )
    return processes.qcluster(env, log_dir / f"{name}.log")


def write_concurrently(customers, products) -> list[BaseException]:
    """``WRITERS`` threads, each taking orders through their life, each commit waking."""
    errors: list[BaseException] = []

    def writer(first: int) -> None:
        try:
            for n in range(first, first + ORDERS_EACH):
                order_through_its_life(n, customers, products)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(w * ORDERS_EACH,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_two_clusters_on_redis_apply_every_event_once_per_projection(queue, tmp_path):
    with CheckpointMoves() as moves:
        clusters = [start_cluster(name, queue, tmp_path) for name in CLUSTERS]
        try:
            for cluster in clusters:
                processes.wait_until_running(cluster)
            assert write_concurrently(*shop()) == []
            settled = processes.settles(caught_up, SETTLE_SECONDS)
        finally:
            for cluster in clusters:
                cluster.stop()
        logs = "\n".join(cluster.output() for cluster in clusters)
        assert settled, f"the clusters did not catch up in {SETTLE_SECONDS} s\n{logs}"

        for name in projection_names() + subscriber_names():
            assert moves.broken_chains(name) == [], logs
        runners = {who for found in moves.moves().values() for _, _, who in found}
        assert set(CLUSTERS) <= runners, f"only {runners} ran batches\n{logs}"

    assert differences(read_models(), rebuilt_read_models()) == {}
