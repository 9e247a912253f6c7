"""Webhooks in /metrics (deliveries by outcome, delivery lag, each subscription's lag
in the log) and in the admin (staff with the permission register; the secret shows
once; the health page lists the subscription as a reader of the log)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from orders import commands as c
from orders.handlers import execute
from tests.api.test_metrics import samples, value
from tests.webhooks.conftest import deliver
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db


def test_deliveries_and_lag_are_in_metrics(client, manager_user, subscribe, receiver):
    client.force_login(get_user_model().objects.create_user("watcher", is_staff=True))
    subscription = subscribe(stream_types=["product"])
    before = samples(client.get("/metrics").content.decode())
    failures = iter([500])
    receiver.answer = lambda request: next(failures, 200)
    execute(c.AddProduct(sku="M-1", name="Metered", price=Decimal("1.00")))
    execute(c.AddProduct(sku="M-2", name="Metered", price=Decimal("1.00")))
    reader = f"webhook:{subscription['id']}"
    behind = samples(client.get("/metrics").content.decode())
    assert value(behind, "chronicle_lag_events", reader=reader, kind="process") == 2

    deliver(subscription["id"])
    found = samples(client.get("/metrics").content.decode())

    def grew(name: str, **labels: str) -> float:
        return value(found, name, **labels) - value(before, name, **labels)

    assert grew("chronicle_webhook_deliveries_total", outcome="delivered") == 2
    assert grew("chronicle_webhook_deliveries_total", outcome="rejected") == 1
    assert grew("chronicle_webhook_delivery_lag_seconds_count") == 2
    assert value(found, "chronicle_lag_events", reader=reader, kind="process") == 0


def test_staff_with_the_permission_register_in_the_admin_and_see_the_secret_once(
    client, manager_user, receiver
):
    plain_staff = get_user_model().objects.create_user("plain", is_staff=True)
    client.force_login(plain_staff)
    assert client.get("/admin/webhooks/subscription/").status_code == 403
    assert client.get("/admin/webhooks/subscription/add/").status_code == 403

    client.force_login(manager_user)
    response = client.post(
        "/admin/webhooks/subscription/add/",
        {
            "target_url": receiver.url,
            "event_types": '["OrderPaid"]',
            "stream_types": "[]",
            "active": "on",
            "description": "billing",
        },
        follow=True,
    )
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    (message,) = [str(m) for m in response.context["messages"] if "once" in str(m)]
    secret = message.split("shown this once: ")[1].split(" ")[0]
    assert secret.startswith("whsec_")
    from webhooks import signing

    assert signing.open_sealed(subscription.sealed_secret, subscription.id) == secret
    assert subscription.event_types == ["OrderPaid"] and subscription.created_by == manager_user
    page = client.get(f"/admin/webhooks/subscription/{subscription.pk}/change/")
    assert secret not in page.content.decode()
    manager_user.user_permissions.add(Permission.objects.get(codename="view_projectionstate"))
    health = client.get("/admin/projections/projectionstate/")
    assert f"webhook:{subscription.pk}" in health.content.decode()


def test_the_admin_refuses_a_bad_target_or_event_type(client, manager_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    client.force_login(manager_user)
    response = client.post(
        "/admin/webhooks/subscription/add/",
        {"target_url": "http://169.254.169.254/", "event_types": '["Nope"]', "stream_types": "[]"},
    )
    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert "target_url" in errors and "event_types" in errors
    assert not Subscription.objects.exists()
