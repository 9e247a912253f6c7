"""The event-store endpoints (history, state at a time or version, events, the
global log) against a known history, and /healthz."""

import datetime as dt
import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.db import OperationalError
from rest_framework.test import APIClient

from eventstore import store
from projections.api import health
from projections.engine import runner
from tests.projections.conftest import catch_up


@pytest.fixture
def known(shop):
    """Created with 2 mugs (v1), 1 tea added (v2), paid (v3), shipped (v4)."""
    alice = shop.customer("Alice")
    mug, tea = shop.product("MUG", "12.50"), shop.product("TEA", "4.20")
    order_id = shop.order(alice, (mug, 2))
    shop.add_item(order_id, tea, 1)
    shop.pay(order_id, "pay-1")
    shop.ship(order_id)
    events = store.read_stream(f"order-{order_id}")
    times = [e.recorded_at for e in events]
    assert times == sorted(times) and len(set(times)) == 4, "each event has its own instant"
    return {
        "order": order_id,
        "alice": alice,
        "mug": mug,
        "tea": tea,
        "times": times,
        "events": events,
    }


def test_history_lists_each_status_with_its_time_and_version(known, staff):
    body = staff.get(f"/api/orders/{known['order']}/history").json()
    assert [(h["status"], h["version"]) for h in body] == [
        ("PENDING", 1),
        ("PAID", 3),
        ("SHIPPED", 4),
    ]
    assert dt.datetime.fromisoformat(body[1]["timestamp"]) == known["times"][2]


def test_state_at_a_version_is_the_order_as_it_was(known, staff):
    body = staff.get(f"/api/orders/{known['order']}/state", version=2).json()

    assert (body["status"], body["version"], body["total_amount"]) == ("PENDING", 2, "29.20")
    assert body["items"] == [
        {
            "product_id": str(known["mug"]),
            "product_name": "Product MUG",
            "quantity": 2,
            "unit_price": "12.50",
            "line_total": "25.00",
        },
        {
            "product_id": str(known["tea"]),
            "product_name": "Product TEA",
            "quantity": 1,
            "unit_price": "4.20",
            "line_total": "4.20",
        },
    ]
    assert dt.datetime.fromisoformat(body["as_of"]) == known["times"][1]


def test_state_as_of_an_instant_takes_the_events_recorded_until_then(known, staff):
    between = known["times"][2] + (known["times"][3] - known["times"][2]) / 2
    in_brussels = between.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()

    body = staff.get(f"/api/orders/{known['order']}/state", as_of=in_brussels).json()
    assert (body["status"], body["version"]) == ("PAID", 3)
    assert dt.datetime.fromisoformat(body["as_of"]) == between
    exact = staff.get(
        f"/api/orders/{known['order']}/state", as_of=known["times"][0].isoformat()
    ).json()
    assert (exact["status"], exact["version"], exact["total_amount"]) == ("PENDING", 1, "25.00")


def test_an_unencoded_plus_in_the_offset_is_understood(known, staff):
    moment = known["times"][3].astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat()
    path = f"/api/orders/{known['order']}/state?as_of={moment}"  # '+' decodes to ' '
    assert staff.api.get(path).json()["version"] == 4


def test_without_parameters_the_state_is_current(known, staff):
    assert staff.get(f"/api/orders/{known['order']}/state").json()["status"] == "SHIPPED"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"as_of": "2025-01-01T10:00:00"}, 400),  # no offset
        ({"as_of": "yesterday"}, 400),
        ({"version": "two"}, 400),
        ({"version": 0}, 400),
        ({"version": 9}, 404),
        ({"as_of": "2000-01-01T00:00:00+00:00"}, 404),  # before the order existed
    ],
)
def test_bad_or_impossible_state_queries(known, staff, params, status):
    response = staff.get(f"/api/orders/{known['order']}/state", **params)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"


def test_the_events_endpoint_lists_the_stream(known, staff):
    body = staff.get(f"/api/orders/{known['order']}/events").json()
    assert [e["event_type"] for e in body] == [
        "OrderCreated",
        "ItemAddedToOrder",
        "OrderPaid",
        "OrderShipped",
    ]
    assert body[2]["data"]["payment_id"] == "pay-1"
    assert {"version", "position", "metadata", "recorded_at"} <= set(body[0])


def test_event_store_endpoints_hide_other_customers_orders(known, login_for):
    stranger = login_for(uuid.uuid4())
    owner = login_for(known["alice"])
    for tail in ("history", "state", "events"):
        assert stranger.get(f"/api/orders/{known['order']}/{tail}").status_code == 404
        assert owner.get(f"/api/orders/{known['order']}/{tail}/").status_code == 200
    assert owner.get(f"/api/orders/{uuid.uuid4()}/history").status_code == 404


def test_the_global_log_is_followed_page_by_page_in_the_safe_order(known, staff):
    seen, after = [], 0
    while True:
        body = staff.get("/api/events/", after=after, limit=3).json()
        if not body["results"]:
            break
        seen += [e["position"] for e in body["results"]]
        assert f"after={body['next_after']}" in body["next"]
        after = body["next_after"]

    assert seen == [e.position for e in store.read_all()]
    assert len(seen) == 7


def test_the_global_log_is_for_staff_and_checks_its_parameters(known, staff, login_for):
    assert login_for(known["alice"]).get("/api/events/", limit=0).status_code == 403
    assert staff.get("/api/events/", limit=0).status_code == 400
    assert staff.get("/api/events/", limit=5000).status_code == 400
    unknown = staff.get("/api/events/", after=10_000)
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (400, "after")


def test_healthz_reports_the_database_and_each_projections_lag(known):
    catch_up("order_list")
    response = APIClient().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("OK", "OK")
    lag = {p["name"]: p["lag_events"] for p in body["projections"]}
    assert lag["order_list"] == 0
    assert lag["catalog"] == 7


def test_healthz_tells_anonymous_callers_state_and_lag_but_never_the_error_text(known, monkeypatch):
    from projections.readmodels.order_list import OrderListProjection

    def order_created(self, rows, e, r):
        raise RuntimeError(f'numeric field overflow: INSERT ... VALUES ({e.total}, "{e.order_id}")')

    monkeypatch.setattr(OrderListProjection, "order_created", order_created)
    runner.advance(["order_list"], max_batches=10)
    body = APIClient().get("/healthz").json()

    order_list = next(p for p in body["projections"] if p["name"] == "order_list")
    assert order_list["state"] == "FAILING" and order_list["lag_events"] > 0
    shown = {"name", "state", "lag_events", "lag_seconds"}
    assert all(set(p) == shown for p in body["projections"])
    text = json.dumps(body)
    assert "overflow" not in text and "25.00" not in text and str(known["order"]) not in text
    # Staff still read it (the admin's projection health page shows it too).
    out = io.StringIO()
    call_command("projections", stdout=out)
    assert "numeric field overflow" in out.getvalue()


def test_healthz_is_503_when_the_database_is_unreachable(db, monkeypatch):
    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "projection_statuses", unreachable)
    response = APIClient().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "UNAVAILABLE", "database": "UNREACHABLE"}
