"""A receiver, a staff member who may manage webhooks, and the small shop of the HTTP
tests. Retries here wait milliseconds, not seconds; local targets are allowed."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tests.api.conftest import (  # noqa: F401  (fixtures)
    Api,
    anonymous,
    place_order,
    shop,
    staff,
    staff_user,
    token_for,
)
from tests.webhooks import receiver as receivers
from webhooks import tasks


@pytest.fixture(autouse=True)
def _quick_webhooks(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 0.01
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 0.02
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1.0
    settings.WEBHOOKS_SECONDS_PER_TASK = 3.0


@pytest.fixture
def receiver():
    found, server = receivers.start()
    yield found
    found.hold.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def manager_user(db):
    user = get_user_model().objects.create_user(
        "integrator", password="x-pass-987654", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    return user


@pytest.fixture
def manager(manager_user) -> Api:
    return Api(token_for(manager_user))


@pytest.fixture
def subscribe(manager, receiver):
    """Register a subscription to the receiver (fields as the API takes them); the
    receiver learns its secret. Returns the 201's body."""

    def subscribe(**fields):
        response = manager.post("/api/webhooks/", {"target_url": receiver.url, **fields})
        assert response.status_code == 201, response.content
        body = response.json()
        receiver.secret = body["secret"]
        return body

    return subscribe


def deliver(subscription_id: str) -> int:
    """What a webhooks worker does for one subscription, here and now."""
    return tasks.deliver(subscription_id)
