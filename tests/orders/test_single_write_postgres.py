"""On PostgreSQL a command whose handler's only write is its one save
(``orders.handlers.single_write``) runs outside a transaction: its reads, then the
guarded INSERT that commits by itself (orders/unit_of_work.py). Everything else keeps
its transaction, and a handler that is marked wrongly is stopped at its second write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

from eventstore import store
from orders import commands as c
from orders.errors import InsufficientStock
from orders.handlers import execute, handle_pay_order, single_write
from orders.models import SkuClaim
from orders.order import Order
from orders.unit_of_work import EventStoreUnitOfWork
from tests.orders.shop import ADDRESS, Shop, of_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_each_statement(run: Any) -> list[tuple[str, bool, bool]]:
    """Each statement ``run`` executes: its first word, whether it ran in an atomic
    block and whether the connection was in autocommit."""
    seen: list[tuple[str, bool, bool]] = []

    def note(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql.split()[0], connection.in_atomic_block, connection.get_autocommit()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        run()
    return seen


def elsewhere_sees(order_id) -> list[str]:
    """The order's event types as another session sees them (committed ones only)."""
    url = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=connection.settings_dict["NAME"], host=url["HOST"], user=url["USER"]
    ) as other:
        rows = other.execute(
            "SELECT event_type FROM eventstore_event WHERE stream_id = %s ORDER BY version",
            [Order.stream_id_for(order_id)],
        ).fetchall()
    return [row[0] for row in rows]


@pytest.fixture(autouse=True)
def no_wake_ups(monkeypatch):
    monkeypatch.setattr(store, "_after_commit_hooks", lambda: ())  # their own statements


@pytest.fixture
def shop():
    return Shop()


@pytest.fixture
def product_id(shop):
    return shop.product("SKU-1", stock=5)


@pytest.fixture
def order_id(shop, product_id):
    return shop.order((product_id, 1))


def test_a_pay_reads_and_appends_in_autocommit_and_is_committed_when_it_returns(order_id):
    seen = at_each_statement(lambda: execute(c.PayOrder(order_id=order_id, payment_id="pay-1")))
    assert [(word, atomic, auto) for word, atomic, auto in seen] == [
        ("WITH", False, True),  # the load
        ("WITH", False, True),  # the guarded INSERT, its own transaction
    ]
    assert elsewhere_sees(order_id)[-1] == "OrderPaid"


def test_with_before_commit_work_the_command_keeps_its_transaction(order_id):
    uow = EventStoreUnitOfWork()
    uow.before_commit(lambda result: None)
    seen = at_each_statement(
        lambda: execute(c.PayOrder(order_id=order_id, payment_id="pay-1"), uow)
    )
    assert {atomic for _, atomic, _ in seen} == {True}


def test_inside_a_callers_transaction_it_is_the_callers_to_commit(order_id):
    with transaction.atomic():
        execute(c.PayOrder(order_id=order_id, payment_id="pay-1"))
        assert elsewhere_sees(order_id)[-1] == "OrderCreated"
        transaction.set_rollback(True)
    assert of_order(order_id)[-1] == "OrderCreated"


def test_a_handler_with_other_writes_keeps_its_transaction():
    # Adding a product saves it and claims its sku: one transaction.
    command = c.AddProduct(sku="SKU-2", name="Two", price=Decimal("2.00"))
    seen = at_each_statement(lambda: execute(command))
    assert ("INSERT", True, False) in seen and all(atomic for _, atomic, _ in seen)


def test_a_stream_moved_between_the_load_and_the_append_is_reloaded_and_retried(
    order_id, product_id
):
    loads: list[int] = []

    @single_write
    def pay_after_a_rival(cmd, uow):
        order = uow.orders.load(cmd.order_id)
        loads.append(order.version)
        if len(loads) == 1:  # a rival command appends to the stream right after our load
            execute(c.AddItem(order_id=cmd.order_id, product_id=product_id, quantity=1))
        order.pay(cmd.payment_id)
        return uow.orders.save(order, cmd)

    result = EventStoreUnitOfWork().run(
        c.PayOrder(order_id=order_id, payment_id="pay-1"), pay_after_a_rival
    )
    assert loads == [1, 2] and result.version == 3
    assert of_order(order_id) == ["OrderCreated", "ItemAddedToOrder", "OrderPaid"]
    assert elsewhere_sees(order_id)[-1] == "OrderPaid"


def test_a_wrongly_marked_handler_is_stopped_before_its_second_write(order_id):
    @single_write
    def claims_then_pays(cmd, uow):
        uow.claim_sku("SKU-CLAIMED", cmd.order_id)
        return handle_pay_order(cmd, uow)

    with pytest.raises(RuntimeError, match="single_write"):
        EventStoreUnitOfWork().run(
            c.PayOrder(order_id=order_id, payment_id="pay-1"), claims_then_pays
        )
    assert not SkuClaim.objects.filter(sku="SKU-CLAIMED").exists()
    assert of_order(order_id)[-1] == "OrderCreated"


def test_a_create_order_allocates_its_number_and_appends_without_a_transaction(shop, product_id):
    command = c.CreateOrder(
        customer_id=shop.customer_id,
        items=(c.ItemRequest(product_id, 1),),
        shipping_address=ADDRESS,
    )
    seen = at_each_statement(lambda: execute(command))
    assert seen and not any(atomic for _, atomic, _ in seen)
    assert elsewhere_sees(command.order_id) == ["OrderCreated"]


def test_a_refused_create_order_outside_a_transaction_records_nothing(shop, product_id):
    command = c.CreateOrder(
        customer_id=shop.customer_id,
        items=(c.ItemRequest(product_id, 99),),  # 5 in stock
        shipping_address=ADDRESS,
    )
    before = store.head()
    with pytest.raises(InsufficientStock):
        execute(command)
    assert store.head() == before
    assert of_order(command.order_id) == []


def test_order_numbers_come_from_the_sequence_without_a_row(shop, product_id):
    from orders.models import OrderNumber

    first, second = (OrderNumber.allocate() for _ in range(2))
    assert first.startswith("ORD-") and int(second[4:]) == int(first[4:]) + 1
    assert not OrderNumber.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id_if_assigned()")
        assert cursor.fetchone()[0] is None  # nothing written, no transaction id taken
