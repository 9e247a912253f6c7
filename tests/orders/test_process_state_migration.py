"""Migration orders.0004: fulfillment's checkpoint and lease leave the read side's
``ProjectionState`` for the write side's ``ProcessState`` with work in flight, and the
runner then handles every later event exactly once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from eventstore import store
from orders.processes import runner
from orders.processes.fulfillment import NAME, process_manager
from orders.processes.state import ProcessState
from tests.projections.conftest import append

BEFORE = [("orders", "0003_idempotency_key_per_user"), ("projections", "0006_task_paths_in_engine")]


class Spy:
    """Stands in for the fulfillment process under its name: notes every reaction."""

    name = NAME

    def __init__(self) -> None:
        self.reacted: list[int] = []
        self.set_aside: list[store.RecordedEvent] = []  # parked before the migration

    def wants(self, recorded: store.RecordedEvent) -> bool:
        return recorded.event_type == "Noted"

    def react(self, recorded: store.RecordedEvent):
        self.reacted.append(recorded.position)
        return lambda: self.set_aside.remove(recorded) if recorded in self.set_aside else None

    def park(self, recorded, error):
        return None

    def due(self, now, limit):
        return self.set_aside[:limit]

    def parked(self):
        return []

    def retry(self, key):
        return False


def note(n: int) -> int:
    new = store.NewEvent("Noted", {"n": n})
    return append(f"note-{uuid.uuid4()}", "note", new).position


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def spy(settings, monkeypatch):
    settings.EVENTSTORE_AFTER_COMMIT = []  # no wake-ups while the schema is the old one
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)  # several batches after the migration
    found = runner.register(Spy())
    yield found
    runner.register(process_manager)


@pytest.mark.django_db(transaction=True)
def test_migrating_mid_run_moves_the_checkpoint_and_lease_and_no_event_is_handled_twice_or_skipped(
    spy,
):
    migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    try:
        positions = [note(n) for n in range(7)]
        handled = store.checkpoint_of(positions[2])  # the runner had reached the third one,
        spy.set_aside = store.read_all(after=store.checkpoint_of(positions[0]), limit=1)  # parked
        lease_ends = timezone.now() + dt.timedelta(minutes=1)  # and was mid-batch
        old.get_model("projections", "ProjectionState").objects.create(
            name=NAME,
            tx_id=handled.tx_id,
            position=handled.position,
            leased_by="runner-mid-batch",
            leased_until=lease_ends,
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved = ProcessState.objects.get(name=NAME)
    assert (moved.checkpoint, moved.leased_by) == (handled, "runner-mid-batch")
    if connection.vendor != "postgresql":  # there the lease is a session lock, not a column
        assert runner.run_batch(spy).outcome.value == "busy", "the lease moved with it"
        ProcessState.objects.filter(name=NAME).update(leased_until=timezone.now())
    runner.advance([NAME], max_batches=100)
    later = [note(7), note(8)]
    runner.advance([NAME], max_batches=100)

    assert spy.reacted == [positions[1], *positions[3:], *later]
