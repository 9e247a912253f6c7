import pytest
from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

from tests.api.test_commands import problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(monkeypatch):
    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth_token": "3/min"})
    yield
    cache.clear()


def test_repeated_bad_passwords_get_429_problems(anonymous, staff_user, three_per_minute):
    for _ in range(3):
        problem(
            anonymous.post("/api/auth/token/", {"username": "staff", "password": "guess"}),
            400,
            "invalid_credentials",
        )
    response = anonymous.post(
        "/api/auth/token/", {"username": "staff", "password": "staff-pass-123"}
    )
    problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
