"""Waking the runners after a commit, the django-q2 tasks, and the sweep schedule."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.signals import post_spawn
from django_q.tasks import async_task

from projections.engine import dispatch, tasks
from projections.models import CatchUpRequest, OrderSummary, ProjectionState

sweep_migration = importlib.import_module("projections.migrations.0002_sweep_schedule")
task_paths_migration = importlib.import_module("projections.migrations.0006_task_paths_in_engine")


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: calls.append(args))
    return calls


def test_wake_enqueues_one_task_until_that_task_starts(db, enqueued):
    for _ in range(3):
        dispatch.wake()
    assert enqueued == [("projections.engine.tasks.catch_up",)]

    dispatch.acknowledge()  # the task started
    dispatch.wake()
    assert len(enqueued) == 2


def test_a_claim_left_by_a_lost_task_is_taken_over(db, enqueued):
    dispatch.wake()
    CatchUpRequest.objects.update(requested_at=timezone.now() - dt.timedelta(minutes=5))
    dispatch.wake()
    assert len(enqueued) == 2


def test_a_worker_process_starting_enqueues_a_catch_up_even_behind_a_pending_claim(db, enqueued):
    """The claimed task may have died with the worker that had taken it (Redis never hands
    it out again, the ORM broker only after its retry): a starting worker catches up."""
    dispatch.wake()
    post_spawn.send(sender="django_q", proc_name="Process-1")  # django-q2 starts a worker
    assert enqueued == [("projections.engine.tasks.catch_up",)] * 2
    assert CatchUpRequest.objects.get().requested_at is not None, "later commits add none"


def test_a_task_run_synchronously_is_no_worker_start(db, monkeypatch):
    """With Q_SYNC django-q2 runs its worker loop inline, signalling a start every time:
    counting that as a start would enqueue catch-ups from inside catch-ups."""
    runs = []
    monkeypatch.setattr(tasks, "catch_up", lambda *names: runs.append(names))
    monkeypatch.setattr(Conf, "SYNC", True)
    dispatch.wake()
    assert runs == [()]


def test_a_worker_starts_even_when_its_catch_up_cannot_be_enqueued(db, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(dispatch, "async_task", broken)
    monkeypatch.setattr(Conf, "SYNC", False)
    post_spawn.send(sender="django_q", proc_name="Process-1")
    assert "could not enqueue" in caplog.text


def test_a_broken_broker_does_not_fail_the_committed_command(db, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(dispatch, "async_task", broken)
    monkeypatch.setattr(Conf, "SYNC", False)
    dispatch.wake()
    assert "the sweep will catch up" in caplog.text


def test_the_catch_up_task_is_bounded_and_enqueues_a_successor_when_behind(
    shop, enqueued, settings
):
    for name in ("Ann", "Ben", "Cid"):
        shop.customer(name)
    settings.PROJECTIONS_BATCH_SIZE = 1
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 1  # live batches grow up to it while behind
    settings.PROJECTIONS_BATCHES_PER_TASK = 2

    assert tasks.catch_up("customer_directory") == 2
    assert enqueued == [("projections.engine.tasks.catch_up",)]
    dispatch.acknowledge()
    assert tasks.catch_up("customer_directory") == 1
    assert len(enqueued) == 1, "caught up: no successor"


def test_the_rebuild_task_builds_a_new_generation(shop, enqueued):
    shop.customer()
    tasks.catch_up()
    tasks.rebuild("customer_directory")
    assert ProjectionState.objects.get(name="customer_directory").generation == 2


def test_the_sweep_schedule_exists_once_however_often_it_is_created(db):
    sweep_migration.create_sweep(apps, None)
    sweep_migration.create_sweep(apps, None)

    sweep = Schedule.objects.get(name=sweep_migration.SWEEP_NAME)
    assert (sweep.func, sweep.schedule_type, sweep.minutes, sweep.repeats) == (
        "projections.engine.tasks.catch_up",
        Schedule.MINUTES,
        1,
        -1,
    )


def test_a_commit_wakes_a_worker_and_the_query_sees_the_write(
    shop, staff, monkeypatch, django_capture_on_commit_callbacks
):
    """Command → on_commit → django-q2 task (sync mode) → projection → query."""
    monkeypatch.setattr(Conf, "SYNC", True)
    alice = shop.customer()
    mug = shop.product("MUG", "2.00")
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():  # what a command handler does
            order_id = shop.order(alice, (mug, 3))
            transaction.on_commit(dispatch.wake)

    assert OrderSummary.objects.filter(order_id=order_id).exists()
    response = staff.get(f"/api/orders/{order_id}", min_position=shop.last.position)
    assert response.json()["total_amount"] == "6.00"
    assert CatchUpRequest.objects.get().requested_at is None


def test_a_task_queued_under_the_path_before_the_engine_moved_still_runs(shop, monkeypatch):
    """Tasks queued, failed or scheduled before the move name ``projections.tasks.*``."""
    monkeypatch.setattr(Conf, "SYNC", True)
    shop.customer()

    async_task("projections.tasks.catch_up", "customer_directory")

    assert ProjectionState.objects.get(name="customer_directory").position > 0


def test_stored_schedules_are_repointed_at_the_engine_and_back(db):
    Schedule.objects.create(name="old sweep", func="projections.tasks.catch_up")
    Schedule.objects.create(name="other", func="orders.something.else")

    task_paths_migration.forwards(apps, None)
    assert Schedule.objects.get(name="old sweep").func == "projections.engine.tasks.catch_up"
    assert Schedule.objects.get(name="other").func == "orders.something.else"

    task_paths_migration.backwards(apps, None)
    assert Schedule.objects.get(name="old sweep").func == "projections.tasks.catch_up"
