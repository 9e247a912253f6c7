"""Real concurrent requests on PostgreSQL: retries, idempotency under a race."""

import threading
import uuid

import pytest
from django.db import connections

from eventstore import store
from eventstore.models import Event
from tests.api.conftest import ADDRESS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait(10)
            results[n] = work(n)
        except BaseException as error:  # reported by the assertion below
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_nine_concurrent_adds_without_if_match_all_succeed_and_leave_ten_lines(
    shop, staff, place_order
):
    order = place_order().json()
    products = []
    for i in range(9):
        product = staff.post(
            "/api/products/", {"sku": f"C{i}", "name": f"C{i}", "price": "1.00"}
        ).json()["id"]
        staff.post(f"/api/products/{product}/receive-stock", {"quantity": 10})
        products.append(product)

    responses = in_threads(
        9,
        lambda n: shop["alice"].post(
            f"/api/orders/{order['id']}/items", {"product_id": products[n], "quantity": 1}
        ),
    )

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 9
    stream = store.read_stream(f"order-{order['id']}")
    assert [e.version for e in stream] == list(range(1, 11))
    from orders.repositories import orders

    assert len(orders.load(uuid.UUID(order["id"])).lines) == 10


def test_eight_concurrent_duplicates_of_one_idempotency_key_append_once(shop):
    body = {"items": [{"product_id": str(shop["mug"]), "quantity": 1}], "shipping_address": ADDRESS}
    before = Event.objects.filter(stream_type="order").count()

    responses = in_threads(
        8, lambda n: shop["alice"].post("/api/orders/", body, **{"Idempotency-Key": "dup-key"})
    )

    statuses = [getattr(r, "status_code", r) for r in responses]
    assert set(statuses) <= {201, 409} and 201 in statuses, statuses
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert all(
        r.json()["code"] == "idempotency_key_in_use" for r in responses if r.status_code == 409
    )
    assert Event.objects.filter(stream_type="order").count() == before + 1
