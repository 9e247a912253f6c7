"""Server-side request forgery: a target on a private, loopback, link-local or other
non-public address is refused, at registration and at delivery, where the address
checked is the one the socket connected to (a name that resolves elsewhere by then,
DNS rebinding, is caught there). Redirects are not followed; timeouts are short."""

from __future__ import annotations

import ipaddress
import time

import pytest

from orders import commands as c
from orders.handlers import execute
from tests.webhooks.conftest import deliver
from webhooks import targets
from webhooks.models import HeldStream, Subscription

pytestmark = pytest.mark.django_db

FORBIDDEN = [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
    "::ffff:169.254.169.254", "2002:7f00:1::", "64:ff9b::a9fe:a9fe", "::",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2001:4860:4860::8888"]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_non_public_addresses_are_forbidden(address):
    assert targets.forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert not targets.forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
        "http://localhost:8000/hook",
    ],
)
def test_registration_refuses_private_targets_unless_allowed(manager, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = manager.post("/api/webhooks/", {"target_url": url})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "target_url"
    assert "private" in response.json()["errors"][0]["message"]
    assert not Subscription.objects.exists()
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert manager.post("/api/webhooks/", {"target_url": url}).status_code == 201


def test_delivery_checks_the_address_it_connects_to(subscribe, receiver, settings):
    # Registered while allowed, under a name: by delivery time the rule forbids what the
    # name resolves to, as a rebinding DNS server would arrange. Nothing reaches it.
    subscription = subscribe(stream_types=["customer"])
    Subscription.objects.filter(pk=subscription["id"]).update(
        target_url=receiver.url.replace("127.0.0.1", "localhost")
    )
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    register_customer()
    deliver(subscription["id"])
    assert receiver.received == []
    held = HeldStream.objects.get()
    assert "TargetRefused" in held.error and "forbidden" in held.error


def test_a_redirect_is_a_failure_and_is_not_followed(subscribe, receiver):
    subscription = subscribe(stream_types=["customer"])
    receiver.answer = lambda request: 302
    register_customer()
    deliver(subscription["id"])
    assert [r.status for r in receiver.received] == [302, 302, 302]  # 3 attempts, then parked
    assert HeldStream.objects.get().retry_at is None
    assert "302" in HeldStream.objects.get().error


def test_a_slow_target_times_out_quickly(subscribe, receiver, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.3
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    subscription = subscribe(stream_types=["customer"])
    receiver.delay = 3
    register_customer()
    started = time.monotonic()
    deliver(subscription["id"])
    assert time.monotonic() - started < 2.5
    assert "timed out" in HeldStream.objects.get().error


def register_customer() -> None:
    execute(c.RegisterCustomer(name="Dora", email="dora@example.com", phone="1"))
