"""Concurrent registrations of one username, on PostgreSQL's real connections."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from eventstore.models import Event
from tests.api.test_concurrent_commands_postgres import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def registration(username: str, n: int) -> dict:
    return {
        "name": f"Ann {n}",
        "email": f"ann{n}@example.com",
        "phone": "+3200000000",
        "username": username,
        "password": "a-long-pass-456",
    }


@pytest.mark.parametrize(
    "spellings", [["ann"] * 10, ["Ann", "ann", "ANN", "aNN", "AnN"] * 2], ids=["same", "cases"]
)
def test_ten_concurrent_registrations_of_one_username_give_one_201_and_nine_409(staff, spellings):
    responses = in_threads(
        10, lambda n: staff.post("/api/customers/", registration(spellings[n], n))
    )

    # A server error reaches the test as the exception the view raised.
    statuses = sorted((getattr(r, "status_code", type(r).__name__) for r in responses), key=str)
    assert statuses == [201] + [409] * 9, statuses
    assert all(r.json()["code"] == "duplicate_username" for r in responses if r.status_code == 409)
    assert get_user_model().objects.filter(username__iexact="ann").count() == 1
    assert Event.objects.filter(event_type="CustomerRegistered").count() == 1
