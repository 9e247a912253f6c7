"""How many SQL statements one command costs on PostgreSQL (docs/architecture.md, "The
flow of one command"): a pay is one read (the newest snapshot and the events after
it) and one guarded INSERT inside the command's transaction, with no savepoint; a
create-order reads the customer, its products and their stock in one query, then
allocates its number. The
after-commit wake-ups run on the background thread (eventstore/after_commit.py), not
in the command's connection. BEGIN and COMMIT are the driver's and not counted.

An order's stream holds personal fields (its shipping address), encrypted under the
customer's data key (eventstore/shredding.py): a load reads that key in its one
statement; a create-order's seal looks it up once more.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from eventstore.after_commit import background
from orders import commands as c
from orders.handlers import execute
from orders.processes import dispatch as process_dispatch
from projections.engine import dispatch as projection_dispatch
from tests.orders.shop import ADDRESS, Shop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def woken(settings, monkeypatch) -> list[str]:
    """The catch-up tasks the wake-ups enqueue, with the wake-ups in the background."""
    settings.EVENTSTORE_AFTER_COMMIT_IN_BACKGROUND = True
    tasks: list[str] = []
    for dispatch in (process_dispatch, projection_dispatch):
        monkeypatch.setattr(dispatch, "async_task", lambda task, **kw: tasks.append(task))
    yield tasks
    assert background.release()


def statements(run: Any) -> list[str]:
    counted: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counted.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        run()
    return counted


def test_a_pay_is_one_read_and_one_insert_and_its_wake_ups_run_after_it(woken):
    shop = Shop()
    order_id = shop.order((shop.product("SKU-1", stock=5), 1))
    assert background.wait_idle()
    process_dispatch.acknowledge()  # as the catch-up tasks do when they start
    projection_dispatch.acknowledge()
    woken.clear()

    sql = statements(lambda: execute(c.PayOrder(order_id=order_id, payment_id="pay-1")))

    assert len(sql) <= 2, sql
    assert not any("SAVEPOINT" in s.upper() for s in sql)
    assert background.wait_idle()
    assert sorted(woken) == [process_dispatch.CATCH_UP_TASK, projection_dispatch.CATCH_UP_TASK]


def test_a_create_order_checks_and_saves_in_four_statements(woken):
    shop = Shop()
    product_id = shop.product("SKU-1", stock=5)
    command = c.CreateOrder(
        customer_id=shop.customer_id,
        items=(c.ItemRequest(product_id, 2),),
        shipping_address=ADDRESS,
    )

    sql = statements(lambda: execute(command))

    # One read of the customer, the product and its stock; the number; the data key
    # the shipping address is sealed with; the INSERT.
    assert len(sql) <= 4, sql
    assert sql[0].startswith("WITH snap0") and "snap2" in sql[0]
    assert not any("SAVEPOINT" in s.upper() for s in sql)


def test_with_the_wake_ups_in_the_committing_thread_they_cost_the_command_more(settings):
    # The measurement itself: the same pay with the hooks run at once counts them.
    shop = Shop()
    order_id = shop.order((shop.product("SKU-1", stock=5), 1))
    sql = statements(lambda: execute(c.PayOrder(order_id=order_id, payment_id="pay-1")))
    assert len(sql) > 2


def test_a_pay_request_with_an_idempotency_key_is_five_statements(woken):
    # What bench.peers counts for POST /api/orders/{id}/pay: the token (with its login
    # and the customer it acts for), the order's read (the access check's, which the
    # command's load uses), the key's claim, the INSERT, the key's completion.
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from orders.models import CustomerAccount
    from tests.api.conftest import token_for

    shop = Shop()
    order_id = shop.order((shop.product("SKU-1", stock=5), 1))
    user = get_user_model().objects.create_user("customer-login")
    CustomerAccount.objects.create(user=user, customer_id=shop.customer_id)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    assert background.wait_idle()

    def pay() -> None:
        response = client.post(
            f"/api/orders/{order_id}/pay",
            {"payment_id": "pay-1"},
            format="json",
            headers={"Idempotency-Key": "pay-1"},
        )
        assert response.status_code == 200, response.content

    sql = statements(pay)

    assert len(sql) <= 5, sql
    # The replay: the token, the access check's read, and the claim, which finds the
    # key's stored response in the same statement.
    assert len(statements(pay)) <= 3
