"""The handlers' rules through the in-memory unit of work: no database at all.

No test here has the ``django_db`` mark, so pytest-django refuses any database
access (the first test shows it does); each runs real handlers through
``orders.handlers.execute`` with an ``InMemoryUnitOfWork``.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from eventstore.errors import StreamNotFound
from orders import commands as c
from orders.errors import (
    DuplicateEmail,
    DuplicateSku,
    InsufficientStock,
    NotReserved,
    OrderNotPending,
    UnknownReference,
    VersionMismatch,
)
from orders.events import OrderCreated, OrderLine, ShipmentLine, ShippingAddress
from orders.handlers import execute
from orders.in_memory import InMemoryUnitOfWork

ADDRESS = ShippingAddress("1 Main St", "Ghent", "9000", "BE")


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


def customer(uow: InMemoryUnitOfWork) -> UUID:
    return execute(c.RegisterCustomer(name="Ann", email="ann@example.com", phone="1"), uow).id


def product(uow: InMemoryUnitOfWork, sku: str, stock: int, price: str = "10.00") -> UUID:
    product_id = execute(c.AddProduct(sku=sku, name=sku.title(), price=Decimal(price)), uow).id
    if stock:
        execute(c.ReceiveStock(product_id=product_id, quantity=stock), uow)
    return product_id


def create_order(uow: InMemoryUnitOfWork, customer_id: UUID, *items: tuple[UUID, int]) -> UUID:
    requests = tuple(c.ItemRequest(product_id, quantity) for product_id, quantity in items)
    command = c.CreateOrder(customer_id=customer_id, items=requests, shipping_address=ADDRESS)
    return execute(command, uow).id


def ship(uow: InMemoryUnitOfWork, order_id: UUID, product_id: UUID, quantity: int) -> None:
    """Pay, then the fulfillment steps, then ship."""
    shipment_id = uuid4()
    for command in (
        c.PayOrder(order_id=order_id, payment_id="pay-1"),
        c.ReserveStock(product_id=product_id, order_id=order_id, quantity=quantity),
        c.CreateShipment(
            shipment_id=shipment_id,
            order_id=order_id,
            lines=(ShipmentLine(product_id, quantity),),
        ),
        c.MarkOrderReadyToShip(order_id=order_id, shipment_id=shipment_id, shipment_reference="R1"),
        c.ShipOrder(order_id=order_id, carrier="DHL", tracking_number="T1"),
    ):
        execute(command, uow)


def test_these_tests_may_not_touch_the_database():
    with pytest.raises(RuntimeError, match="Database access not allowed"):
        execute(c.RegisterCustomer(name="Ann", email="ann@example.com", phone="1"))


def test_paying_a_shipped_order_is_refused(uow):
    mug = product(uow, "mug", 5)
    order_id = create_order(uow, customer(uow), (mug, 2))
    ship(uow, order_id, mug, 2)
    recorded = list(uow.memory.events)

    with pytest.raises(OrderNotPending):
        execute(c.PayOrder(order_id=order_id, payment_id="pay-2"), uow)

    assert uow.orders.load(order_id).status == "SHIPPED"
    assert uow.memory.events == recorded


def test_creating_an_order_merges_repeated_products_into_one_line(uow):
    mug, tea = product(uow, "mug", 10, "4.50"), product(uow, "tea", 10, "3.00")

    order_id = create_order(uow, customer(uow), (mug, 1), (tea, 2), (mug, 3))

    order = uow.orders.load(order_id)
    assert order.lines == (
        OrderLine(mug, "Mug", 4, Decimal("4.50")),
        OrderLine(tea, "Tea", 2, Decimal("3.00")),
    )
    assert order.total == Decimal("24.00") and order.order_number == "ORD-000001"
    assert isinstance(uow.memory.events[-1], OrderCreated)


def test_an_unknown_product_is_refused_and_named_by_its_field(uow):
    mug, ghost = product(uow, "mug", 5), uuid4()
    customer_id = customer(uow)
    recorded = list(uow.memory.events)

    with pytest.raises(UnknownReference) as refused:
        create_order(uow, customer_id, (mug, 1), (ghost, 1))

    assert refused.value.field == "items.1.product_id"
    assert uow.memory.events == recorded


def test_an_unknown_customer_is_refused(uow):
    mug = product(uow, "mug", 5)

    with pytest.raises(UnknownReference) as refused:
        create_order(uow, uuid4(), (mug, 1))

    assert refused.value.field == "customer_id"


def test_a_duplicate_sku_is_refused_and_the_second_product_is_not_kept(uow):
    product(uow, "mug", 0)
    second = uuid4()

    with pytest.raises(DuplicateSku):
        execute(c.AddProduct(product_id=second, sku="mug", name="Other", price=Decimal("1")), uow)

    assert not uow.products.exists(second)


def test_a_duplicate_email_in_another_case_is_refused_and_the_second_customer_is_not_kept(uow):
    customer(uow)
    second = uuid4()

    with pytest.raises(DuplicateEmail):
        execute(
            c.RegisterCustomer(customer_id=second, name="Bo", email="ANN@example.com", phone=""),
            uow,
        )

    assert not uow.customers.exists(second)


def test_a_change_of_email_moves_the_claim_and_is_refused_onto_anothers_email(uow):
    ann = customer(uow)
    bo = execute(c.RegisterCustomer(name="Bo", email="bo@example.com", phone=""), uow).id

    with pytest.raises(DuplicateEmail):
        execute(c.ChangeCustomerEmail(customer_id=bo, email="Ann@Example.com"), uow)
    execute(c.ChangeCustomerEmail(customer_id=ann, email="ann@new.example"), uow)
    execute(c.ChangeCustomerEmail(customer_id=bo, email="ann@example.com"), uow)

    assert uow.customers.load(bo).email == "ann@example.com"
    assert uow.memory.emails == {ann: "ann@new.example", bo: "ann@example.com"}


def test_ordering_more_than_the_stock_is_refused(uow):
    mug, tea = product(uow, "mug", 2), product(uow, "tea", 9)

    with pytest.raises(InsufficientStock) as refused:
        create_order(uow, customer(uow), (mug, 1), (tea, 1), (mug, 2))

    assert refused.value.extra["products"] == ["Mug"]
    assert uow.memory.order_numbers == 0, "a refused order gives its number back"


def test_adding_an_item_checks_the_stock_for_the_whole_line(uow):
    mug = product(uow, "mug", 3)
    order_id = create_order(uow, customer(uow), (mug, 2))

    with pytest.raises(InsufficientStock):
        execute(c.AddItem(order_id=order_id, product_id=mug, quantity=2), uow)

    assert uow.orders.load(order_id).lines[0].quantity == 2


def test_receiving_stock_for_an_unknown_product_is_refused(uow):
    with pytest.raises(StreamNotFound):
        execute(c.ReceiveStock(product_id=uuid4(), quantity=5), uow)


def test_a_stale_expected_version_is_refused_with_the_current_one(uow):
    mug = product(uow, "mug", 5)
    order_id = create_order(uow, customer(uow), (mug, 1))

    with pytest.raises(VersionMismatch) as refused:
        execute(c.PayOrder(order_id=order_id, payment_id="p", expected_version=3), uow)

    assert refused.value.current_version == 1
    assert execute(c.PayOrder(order_id=order_id, payment_id="p", expected_version=1), uow).version


def test_reserving_twice_for_one_order_reserves_once(uow):
    mug = product(uow, "mug", 5)
    order_id = uuid4()
    reserve = c.ReserveStock(product_id=mug, order_id=order_id, quantity=3)

    first, second = execute(reserve, uow), execute(reserve, uow)

    assert (first.version, first.position) == (second.version, second.position)
    assert uow.inventories.load(mug).available == 2


def test_stock_never_reserved_is_never_issued(uow):
    mug = product(uow, "mug", 5)

    with pytest.raises(NotReserved):
        execute(c.IssueStock(product_id=mug, order_id=uuid4()), uow)


def test_before_commit_work_sees_the_result_and_goes_with_a_refused_command(uow):
    seen = []
    uow.before_commit(seen.append)
    result = execute(c.RegisterCustomer(name="Bo", email="bo@example.com", phone="2"), uow)
    assert seen == [result]

    uow.before_commit(seen.append)
    with pytest.raises(StreamNotFound):
        execute(c.PayOrder(order_id=uuid4(), payment_id="p"), uow)
    assert seen == [result], "refused before saving: the work did not run"

    def fails(_result: object) -> None:
        raise RuntimeError("the idempotency record could not be stored")

    uow.before_commit(fails)
    customer_id = uuid4()
    with pytest.raises(RuntimeError):
        execute(
            c.RegisterCustomer(customer_id=customer_id, name="C", email="c@x.org", phone=""), uow
        )
    assert not uow.customers.exists(customer_id), "the events went with the failed work"
