"""Out-of-order commits end to end (docs/architecture.md, invariant 5).

A command's transaction takes an early position and stays open; a later command,
through the HTTP API, commits a later position first. The projection task must not
pass the open transaction: the later order stays invisible, even to a query that
waits for its position. Once the early command commits, the task applies both, the
early event first.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from orders import commands as c
from orders.handlers import CommandResult, execute
from orders.processes import dispatch as process_dispatch
from orders.processes import tasks as process_tasks
from orders.unit_of_work import EventStoreUnitOfWork
from projections.engine import dispatch, tasks
from projections.models import OrderSummary
from tests.faults.checks import ADDRESS, CheckpointMoves, catch_up_here, caught_up, shop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class HeldCommand(threading.Thread):
    """Runs a command on its own connection and holds its transaction open after the
    append, until released."""

    def __init__(self, command: c.Command) -> None:
        super().__init__(daemon=True)
        self.command = command
        self.appended, self.release = threading.Event(), threading.Event()
        self.result: CommandResult | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            uow = EventStoreUnitOfWork()
            uow.before_commit(self._hold)
            self.result = execute(self.command, uow)
        except BaseException as error:
            self.error = error
        finally:
            connections.close_all()

    def _hold(self, result: CommandResult) -> None:
        self.appended.set()
        if not self.release.wait(30):
            raise TimeoutError("never released")


@pytest.fixture
def staff_api(django_user_model) -> APIClient:
    api = APIClient()
    api.force_authenticate(django_user_model.objects.create_user("staff", is_staff=True))
    return api


def order_body(customer, product) -> dict:
    items = [{"product_id": str(product), "quantity": 1}]
    address = {"line1": ADDRESS.line1, "city": ADDRESS.city, "postal_code": "9000", "country": "BE"}
    return {"customer_id": str(customer), "items": items, "shipping_address": address}


def applied_in_order(name: str) -> list[int]:
    """The positions ``name``'s checkpoint moved to, in the order the moves committed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT new_position FROM faults_checkpoint_move WHERE name = %s ORDER BY id", [name]
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_long_transaction_is_waited_for_then_both_events_are_applied_in_order(
    staff_api, settings, monkeypatch
):
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)  # we run the task
    monkeypatch.setattr(process_dispatch, "async_task", lambda *args, **kwargs: None)
    settings.PROJECTIONS_BATCH_SIZE = 1  # one event a batch: the moves show the order
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 1  # live batches grow up to it while behind
    settings.READ_YOUR_WRITES_TIMEOUT = 0.5
    with CheckpointMoves() as moves:
        (alice, bob, _), (mug, *_) = shop()
        catch_up_here()
        early = HeldCommand(
            c.CreateOrder(
                customer_id=alice, items=(c.ItemRequest(mug, 1),), shipping_address=ADDRESS
            )
        )
        early.start()
        assert early.appended.wait(10)
        late = staff_api.post("/api/orders/", order_body(bob, mug), format="json")
        assert late.status_code == 201, late.content
        late_id, late_position = late.json()["id"], late.json()["position"]

        tasks.catch_up()  # the django-q2 task, as a worker runs it
        waited = staff_api.get(f"/api/orders/{late_id}", {"min_position": late_position})
        assert waited.status_code == 404, "applied past a transaction still open"
        assert not OrderSummary.objects.filter(order_id=late_id).exists()

        early.release.set()
        early.join(10)
        assert early.error is None and early.result is not None
        early_id, early_position = early.result.id, early.result.position
        assert early_position < late_position
        deadline = time.monotonic() + 30  # other sessions on the server hold the horizon too
        while not caught_up() and time.monotonic() < deadline:
            process_tasks.catch_up()  # the processes' task, as a worker runs it too
            tasks.catch_up()
            time.sleep(0.05)

        for order_id, position in ((early_id, early_position), (late_id, late_position)):
            read = staff_api.get(f"/api/orders/{order_id}", {"min_position": position})
            assert read.status_code == 200, read.content
        for name in ("order_list", "order_details", "customer_statistics"):
            sequence = applied_in_order(name)
            assert sequence.index(early_position) < sequence.index(late_position), sequence
            assert moves.broken_chains(name) == []
