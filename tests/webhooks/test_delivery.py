"""Delivering events to a real receiver: every event once, signed, in each stream's
order, in the shape of /api/events/; retries with the same delivery id; a failing
stream held back (and parked) without holding up the others; pause and resume."""

from __future__ import annotations

from collections import defaultdict

import pytest

from eventstore import store
from orders.processes.state import ProcessState
from projections import desk
from tests.webhooks.conftest import deliver
from webhooks.delivery import delivery_id
from webhooks.models import HeldStream

pytestmark = pytest.mark.django_db

ADDRESS = {"line1": "1 Main St", "city": "Ghent", "postal_code": "9000", "country": "BE"}


def orders(shop, count: int) -> list[str]:
    """``count`` orders of Alice's, each paid: two events or more per order stream."""
    placed = []
    for _ in range(count):
        body = {
            "items": [{"product_id": str(shop["mug"]), "quantity": 1}],
            "shipping_address": ADDRESS,
        }
        response = shop["alice"].post("/api/orders/", body)
        assert response.status_code == 201, response.content
        order_id = response.json()["id"]
        paid = shop["alice"].post(f"/api/orders/{order_id}/pay", {"payment_id": f"p-{order_id}"})
        assert paid.status_code == 200, paid.content
        placed.append(order_id)
    return placed


def since(subscription) -> list[store.RecordedEvent]:
    """The log's events after the subscription was registered."""
    return [
        e for e in store.read_all(limit=10_000) if e.recorded_at >= _registered_at(subscription)
    ]


def _registered_at(subscription):
    from webhooks.models import Subscription

    return Subscription.objects.get(pk=subscription["id"]).created_at


def test_every_event_arrives_once_signed_in_stream_order_in_the_event_log_shape(
    shop, subscribe, receiver, staff
):
    subscription = subscribe(stream_types=["order"], include_personal=True)
    order_ids = orders(shop, 3)

    deliver(subscription["id"])

    expected = [e for e in since(subscription) if e.stream_type == "order"]
    assert len(expected) >= 6
    arrived = receiver.accepted()
    assert [r.json["event_id"] for r in arrived] == [str(e.event_id) for e in expected]
    assert all(r.signature_ok for r in arrived)
    assert [r.delivery_id for r in arrived] == [
        delivery_id(subscription_id=_uuid(subscription), event_id=e.event_id) for e in expected
    ]
    versions = defaultdict(list)
    for r in arrived:
        versions[r.json["stream_id"]].append(r.json["version"])
    assert set(versions) == {f"order-{o}" for o in order_ids}
    assert all(v == sorted(v) for v in versions.values())
    # The /api/events/ shape, the event id and the correlation id in headers too.
    log = staff.get("/api/events/", limit=1000).json()["results"]
    by_id = {item["event_id"]: item for item in log}
    for r in arrived:
        assert r.json == by_id[r.json["event_id"]]
        assert r.headers["x-chronicle-event-id"] == r.json["event_id"]
        assert r.headers["x-correlation-id"] == r.json["correlation_id"]
    # Delivered is delivered: a second run sends nothing.
    deliver(subscription["id"])
    assert len(receiver.accepted()) == len(arrived)


def test_only_the_event_types_asked_for_are_sent(shop, subscribe, receiver):
    subscription = subscribe(event_types=["OrderPaid"])
    orders(shop, 2)
    deliver(subscription["id"])
    assert [b["event_type"] for b in receiver.bodies()] == ["OrderPaid", "OrderPaid"]


def test_personal_fields_are_masked_unless_the_subscription_includes_them(
    staff, subscribe, receiver
):
    masked = subscribe(event_types=["CustomerRegistered"])
    customer = {"name": "Carla", "email": "carla@example.com", "phone": "+3212345678"}
    assert staff.post("/api/customers/", customer).status_code == 201
    deliver(masked["id"])
    (data,) = [b["data"] for b in receiver.bodies()]
    assert data["name"] == data["email"] == "[personal]"
    assert "carla" not in receiver.accepted()[0].body.decode().lower()

    receiver.received.clear()
    revealing = subscribe(event_types=["CustomerRegistered"], include_personal=True)
    assert (
        staff.post("/api/customers/", {**customer, "email": "carla2@example.com"}).status_code
        == 201
    )
    deliver(revealing["id"])
    (data,) = [b["data"] for b in receiver.bodies()]
    assert data["email"] == "carla2@example.com"


def test_a_failed_delivery_is_retried_with_the_same_delivery_id(shop, subscribe, receiver):
    subscription = subscribe(stream_types=["order"])
    failures = iter([503, 500])
    receiver.answer = lambda request: next(failures, 200)
    orders(shop, 1)

    deliver(subscription["id"])

    first = since(subscription)[0]
    tries = [r for r in receiver.received if r.json["event_id"] == str(first.event_id)]
    assert [r.status for r in tries] == [503, 500, 200]
    assert len({r.delivery_id for r in tries}) == 1
    assert {r.headers["webhook-signature"] for r in tries} != {None}
    # Everything after it arrived too, each once.
    assert [b["event_id"] for b in receiver.bodies()] == [
        str(e.event_id) for e in since(subscription) if e.stream_type == "order"
    ]
    assert not HeldStream.objects.exists()


def test_a_stream_the_target_refuses_waits_and_parks_while_other_streams_flow(
    shop, subscribe, receiver, client, manager_user
):
    subscription = subscribe(stream_types=["order"])
    stuck, free = orders(shop, 2)
    receiver.answer = lambda request: 500 if request.json["stream_id"] == f"order-{stuck}" else 200

    deliver(subscription["id"])

    streams = [b["stream_id"] for b in receiver.bodies()]
    assert f"order-{stuck}" not in streams
    assert streams.count(f"order-{free}") == len(store.read_stream(f"order-{free}"))
    held = HeldStream.objects.get()
    assert (held.stream_id, held.failed_version, held.attempts) == (f"order-{stuck}", 1, 3)
    assert held.retry_at is None and held.parked_at is not None  # parked after 3 attempts
    assert held.seen_version == len(store.read_stream(f"order-{stuck}"))
    # On the dead-letter desk, under the subscription's reader name.
    (item,) = [i for i in desk.stuck() if i.reader == f"webhook:{subscription['id']}"]
    assert (item.key, item.event.version) == (f"order-{stuck}", 1)

    # Staff retry it from the desk once the target is mended: the stream arrives in order.
    receiver.answer = lambda request: 200
    manager_user.user_permissions.add(_permission("handle_stuck_events"))
    client.force_login(manager_user)
    response = client.post(
        "/admin/projections/projectionstate/desk/retry/",
        {"reader": item.reader, "key": item.key},
    )
    assert response.status_code == 302
    deliver(subscription["id"])
    stuck_versions = [b["version"] for b in receiver.bodies() if b["stream_id"] == f"order-{stuck}"]
    assert stuck_versions == [e.version for e in store.read_stream(f"order-{stuck}")]
    assert not HeldStream.objects.exists()


def test_skipping_a_parked_delivery_lets_the_rest_of_its_stream_go(
    shop, subscribe, receiver, client, manager_user
):
    subscription = subscribe(stream_types=["order"])
    (order_id,) = orders(shop, 1)
    receiver.answer = lambda request: 500 if request.json["version"] == 1 else 200
    deliver(subscription["id"])
    assert receiver.bodies() == []

    manager_user.user_permissions.add(_permission("handle_stuck_events"))
    client.force_login(manager_user)
    response = client.post(
        "/admin/projections/projectionstate/desk/skip/",
        {"reader": f"webhook:{subscription['id']}", "key": f"order-{order_id}", "reason": "test"},
    )
    assert response.status_code == 302
    deliver(subscription["id"])
    assert [b["version"] for b in receiver.bodies()] == [
        e.version for e in store.read_stream(f"order-{order_id}")
    ][1:]


def test_a_paused_subscription_sends_nothing_and_resumes_where_it_stopped(
    shop, subscribe, receiver, manager
):
    subscription = subscribe(stream_types=["order"])
    orders(shop, 1)
    deliver(subscription["id"])
    before = len(receiver.accepted())
    assert before >= 2

    assert manager.post(f"/api/webhooks/{subscription['id']}/pause").status_code == 200
    orders(shop, 2)
    deliver(subscription["id"])
    assert len(receiver.accepted()) == before
    state = ProcessState.objects.get(name=f"webhook:{subscription['id']}")

    resumed = manager.post(f"/api/webhooks/{subscription['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["active"] is True
    deliver(subscription["id"])
    assert [b["event_id"] for b in receiver.bodies()] == [
        str(e.event_id) for e in since(subscription) if e.stream_type == "order"
    ]
    assert ProcessState.objects.get(name=state.name).checkpoint > state.checkpoint


def _uuid(subscription):
    from uuid import UUID

    return UUID(subscription["id"])


def _permission(codename: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(codename=codename)
