"""The event-store unit of work retries what the store says is worth retrying, in a
fresh transaction."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.db import connection

from eventstore.errors import OrderingConflict
from orders import commands as c
from orders import unit_of_work
from orders.unit_of_work import CommandResult, EventStoreUnitOfWork

pytestmark = pytest.mark.django_db(transaction=True)


def flaky(failures: int, transactions: list[bool]):
    def handle(command, uow) -> CommandResult:
        transactions.append(connection.in_atomic_block)
        if len(transactions) <= failures:
            raise OrderingConflict("order-1")
        return CommandResult(uuid4(), 1, 1)

    return handle


@pytest.mark.parametrize("if_match", [None, 3])
def test_an_ordering_conflict_is_retried_with_or_without_if_match(if_match):
    transactions: list[bool] = []
    cmd = c.PayOrder(order_id=uuid4(), payment_id="pay-1", expected_version=if_match)
    result = EventStoreUnitOfWork().run(cmd, flaky(2, transactions))
    assert result.version == 1
    assert transactions == [True, True, True], "each attempt ran in a transaction of its own"


def test_ordering_conflicts_that_never_end_surface_after_the_last_attempt():
    transactions: list[bool] = []
    cmd = c.PayOrder(order_id=uuid4(), payment_id="pay-1")
    with pytest.raises(OrderingConflict):
        EventStoreUnitOfWork().run(cmd, flaky(unit_of_work.MAX_ATTEMPTS, transactions))
    assert len(transactions) == unit_of_work.MAX_ATTEMPTS
