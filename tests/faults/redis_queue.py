"""A Redis queue of a fault test's own, for the wake-ups of the test process's commits."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

import pytest
import redis
from django_q.brokers.redis_broker import Redis
from django_q.tasks import async_task

from orders.processes import dispatch as process_dispatch
from projections.engine import dispatch

REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def own_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Route both dispatchers' enqueues to a fresh queue; yields its name (skips the test
    when Redis is not there) and deletes it afterwards."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.skip(f"needs Redis at {REDIS_URL}: {error}")
    name = f"chronicle-faults-{uuid4().hex[:10]}"
    broker = Redis(list_key=name)
    broker.connection = connection

    def enqueue(func, *args, **kwargs):
        return async_task(func, *args, broker=broker, **kwargs)

    monkeypatch.setattr(dispatch, "async_task", enqueue)
    monkeypatch.setattr(process_dispatch, "async_task", enqueue)
    try:
        yield name
    finally:
        connection.delete(name)
