"""/api/webhooks/: who may manage subscriptions, the contract's paths and codes, the
secret shown once and kept encrypted, targets refused before anything is stored."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from standardwebhooks import Webhook

from eventstore import shredding
from orders.processes.state import ProcessState
from webhooks import signing, tasks
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db


def test_only_staff_with_the_webhooks_permission_manage_subscriptions(
    staff, anonymous, shop, manager, receiver
):
    body = {"target_url": receiver.url}
    assert anonymous.get("/api/webhooks/").status_code == 401
    assert anonymous.post("/api/webhooks/", body).status_code == 401
    for refused in (staff, shop["alice"]):  # staff alone, and a customer
        assert refused.get("/api/webhooks/").status_code == 403
        response = refused.post("/api/webhooks/", body)
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
    assert not Subscription.objects.exists()
    assert manager.post("/api/webhooks/", body).status_code == 201


def test_the_contract_register_list_read_pause_resume_test_delete(manager, receiver):
    created = manager.post(
        "/api/webhooks/",
        {"target_url": receiver.url, "event_types": ["OrderPaid"], "description": "billing"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["OrderPaid"] and body["stream_types"] == []
    assert body["include_personal"] is False and body["active"] is True
    sub_id = body["id"]

    listed = manager.get("/api/webhooks/")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()] == [sub_id]
    assert "secret" not in listed.json()[0]
    read = manager.get(f"/api/webhooks/{sub_id}")
    assert read.status_code == 200 and "secret" not in read.json()
    assert read.json()["held_streams"] == 0 and read.json()["parked"] == 0

    paused = manager.post(f"/api/webhooks/{sub_id}/pause")
    assert paused.status_code == 200 and paused.json()["active"] is False
    resumed = manager.post(f"/api/webhooks/{sub_id}/resume")
    assert resumed.status_code == 200 and resumed.json()["active"] is True

    tested = manager.post(f"/api/webhooks/{sub_id}/test")
    assert tested.status_code == 202 and tested.json() == {"status": "queued"}
    assert tasks.ping(sub_id) == 200  # what the webhooks worker runs for the queued ping
    (ping,) = receiver.received
    Webhook(body["secret"]).verify(ping.body, ping.headers)  # raises if the signature is bad
    assert ping.json["event_type"] == "webhook.ping" and ping.json["subscription_id"] == sub_id

    assert manager.client.delete(f"/api/webhooks/{sub_id}").status_code == 204
    assert manager.get(f"/api/webhooks/{sub_id}").status_code == 404
    assert manager.client.delete(f"/api/webhooks/{sub_id}").status_code == 404
    assert not ProcessState.objects.filter(name=f"webhook:{sub_id}").exists()


def test_unknown_and_malformed_ids_are_404(manager):
    for path in (f"/api/webhooks/{uuid.uuid4()}", "/api/webhooks/not-a-uuid"):
        response = manager.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert manager.post(f"/api/webhooks/{uuid.uuid4()}/pause").status_code == 404
    assert manager.post(f"/api/webhooks/{uuid.uuid4()}/test").status_code == 404


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"target_url": "ftp://example.com/hook"}, "target_url"),
        ({"target_url": "http://user:pw@example.com/hook"}, "target_url"),
        ({"target_url": "not a url"}, "target_url"),
        ({"event_types": ["OrderTeleported"]}, "event_types"),
        ({"event_types": "OrderPaid"}, "event_types"),
        ({"stream_types": ["Order Streams!"]}, "stream_types"),
        ({"include_personal": "sometimes"}, "include_personal"),
    ],
)
def test_bad_fields_are_400_and_store_nothing(manager, receiver, fields, field):
    response = manager.post("/api/webhooks/", {"target_url": receiver.url, **fields})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_request"
    assert field in {e["field"].split(".")[0] for e in response.json()["errors"]}
    assert not Subscription.objects.exists()


def test_malformed_json_is_400(manager):
    response = manager.raw("/api/webhooks/", '{"target_url": ')
    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_the_secret_is_stored_encrypted_and_rewrapped_with_the_data_keys(
    manager, receiver, settings
):
    body = manager.post("/api/webhooks/", {"target_url": receiver.url}).json()
    stored = Subscription.objects.get(pk=body["id"])
    assert body["secret"].encode() not in bytes(stored.sealed_secret)
    assert signing.open_sealed(stored.sealed_secret, stored.id) == body["secret"]

    old = settings.KEY_ENCRYPTION_KEY
    new = "bmV3LWtleS1lbmNyeXB0aW9uLWtleS0wMDAwMDAwMDA="
    settings.KEY_ENCRYPTION_KEY = new
    call_command("rotate_key_encryption_key", "--old-key", old, stdout=open("/dev/null", "w"))
    stored.refresh_from_db()
    assert signing.open_sealed(stored.sealed_secret, stored.id) == body["secret"]
    with pytest.raises(shredding.InvalidTag):
        signing.open_sealed(stored.sealed_secret, stored.id, shredding.key_encryption_key(old))
    # A repeated run finds it under the new key and changes nothing.
    call_command("rotate_key_encryption_key", "--old-key", old, stdout=open("/dev/null", "w"))
    assert signing.open_sealed(stored.sealed_secret, stored.id) == body["secret"]
