"""Concurrent registrations and changes onto one email, on PostgreSQL's real connections:
the claim's unique index lets exactly one customer have it."""

from __future__ import annotations

import pytest

from eventstore.models import Event
from orders.emails import email_key
from orders.models import EmailClaim
from tests.api.test_concurrent_commands_postgres import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SPELLINGS = ["ann@example.com", "Ann@example.com", "ANN@EXAMPLE.COM", "aNN@Example.com",
             "ann@EXAMPLE.com"]  # fmt: skip


def statuses(responses) -> list:
    # A server error reaches the test as the exception the view raised.
    return sorted((getattr(r, "status_code", type(r).__name__) for r in responses), key=str)


def test_ten_concurrent_registrations_of_one_email_in_any_case_give_one_201_and_nine_409(staff):
    responses = in_threads(
        10,
        lambda n: staff.post(
            "/api/customers/", {"name": f"Ann {n}", "email": SPELLINGS[n % 5], "phone": "1"}
        ),
    )

    assert statuses(responses) == [201] + [409] * 9, statuses(responses)
    assert all(r.json()["code"] == "duplicate_email" for r in responses if r.status_code == 409)
    assert Event.objects.filter(event_type="CustomerRegistered").count() == 1
    (claim,) = EmailClaim.objects.all()
    assert claim.key == email_key("ann@example.com")


def test_ten_customers_changing_to_one_email_at_once_leave_it_to_exactly_one(staff):
    customers = [
        staff.post(
            "/api/customers/", {"name": f"C{n}", "email": f"c{n}@example.com", "phone": "1"}
        ).json()["id"]
        for n in range(10)
    ]

    responses = in_threads(
        10,
        lambda n: staff.post(
            f"/api/customers/{customers[n]}/change-email", {"email": SPELLINGS[n % 5]}
        ),
    )

    assert statuses(responses) == [200] + [409] * 9, statuses(responses)
    assert Event.objects.filter(event_type="CustomerEmailChanged").count() == 1
    winner = next(customers[n] for n, r in enumerate(responses) if r.status_code == 200)
    assert str(EmailClaim.objects.get(key=email_key("ann@example.com")).customer_id) == winner
    assert EmailClaim.objects.count() == 10, "the nine others keep their own claims"
