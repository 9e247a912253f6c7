"""The order as it was: one temporal read for the query API and the admin's time travel."""

import datetime as dt
from uuid import uuid4

import pytest

from eventstore.models import Snapshot
from orders import repositories, temporal
from orders.status import CANCELLED, PAID, PENDING
from tests.orders.shop import Shop


@pytest.fixture
def shop(db):
    return Shop()


@pytest.fixture
def cancelled(shop):
    """An order at version 4: created, paid, refunded, cancelled."""
    mug = shop.product("MUG", 5)
    order_id = shop.order((mug, 2))
    shop.pay(order_id)
    shop.cancel(order_id)
    return order_id


def test_without_a_version_or_an_instant_the_order_is_as_it_is_now(cancelled):
    now = temporal.order_as_it_was(cancelled)
    assert (now.status, now.version, now.fulfillment) == (CANCELLED, 4, "refunded")


def test_at_a_version_the_order_is_as_that_version_left_it(cancelled):
    paid = temporal.order_as_it_was(cancelled, version=2)
    assert (paid.status, paid.version, paid.payment_id) == (PAID, 2, "pay-1")
    assert [line.quantity for line in paid.lines] == [2]


def test_as_of_an_instant_the_order_is_at_its_last_version_recorded_by_then(cancelled):
    created = temporal.order_as_it_was(cancelled, version=1)
    assert temporal.order_as_it_was(cancelled, as_of=created.recorded_at).status == PENDING
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    both = temporal.order_as_it_was(cancelled, version=2, as_of=later)
    assert (both.version, both.status) == (2, PAID)


def test_it_loads_the_newest_snapshot_at_or_before_the_version_then_later_events(shop, monkeypatch):
    monkeypatch.setattr(repositories.orders, "snapshot_every", 1)
    mug = shop.product("MUG", 5)
    order_id = shop.order((mug, 1))
    shop.pay(order_id)
    shop.cancel(order_id)
    # A snapshot says what replaying would: mark the one of version 2 to see it used.
    snapshot = Snapshot.objects.get(stream_id=f"order-{order_id}", version=2)
    snapshot.state = {**snapshot.state, "payment_id": "from the snapshot"}
    snapshot.save()

    assert temporal.order_as_it_was(order_id, version=2).payment_id == "from the snapshot"
    assert temporal.order_as_it_was(order_id, version=1).payment_id == ""
    assert temporal.order_as_it_was(order_id).status == CANCELLED


def test_no_such_order_no_such_version_and_not_yet_are_told_apart(cancelled):
    with pytest.raises(temporal.NoSuchOrder):
        temporal.order_as_it_was(uuid4())
    with pytest.raises(temporal.NoSuchVersion) as no_version:
        temporal.order_as_it_was(cancelled, version=5)
    assert (no_version.value.version, no_version.value.latest) == (5, 4)
    with pytest.raises(temporal.NoSuchVersion):
        temporal.order_as_it_was(cancelled, version=0)
    began = temporal.order_as_it_was(cancelled, version=1).recorded_at
    with pytest.raises(temporal.NotYet) as not_yet:
        temporal.order_as_it_was(cancelled, as_of=began - dt.timedelta(seconds=1))
    assert not_yet.value.began == began
