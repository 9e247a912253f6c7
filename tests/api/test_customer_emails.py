"""Customers' emails are unique whatever their case (409 duplicate_email); the claim
keeps a keyed hash of the email, never the email, and moves with a change of email.
(Concurrent registrations are in ``test_concurrent_emails_postgres.py``.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

import pytest
from django.contrib.auth import get_user_model

from eventstore.models import Event
from orders.emails import email_key
from orders.models import EmailClaim
from tests.api.test_commands import ok, problem

pytestmark = pytest.mark.django_db


def register(staff, email: str, **extra):
    return staff.post("/api/customers/", {"name": "Ann", "email": email, "phone": "1", **extra})


def change_email(client, customer_id, email: str):
    return client.post(f"/api/customers/{customer_id}/change-email", {"email": email})


def registered() -> int:
    return Event.objects.filter(event_type="CustomerRegistered").count()


@pytest.mark.parametrize(
    "taken, again",
    [("ann@example.com", "ann@example.com"), ("Ann@Example.com", "aNN@example.COM"),
     ("ann@example.com", " ann@example.com "), ("ann@école.example", "ANN@ÉCOLE.example")],
)  # fmt: skip
def test_a_second_customer_with_the_same_email_in_any_case_is_duplicate_email(staff, taken, again):
    ok(register(staff, taken), 201)
    before = registered()

    body = problem(register(staff, again), 409, "duplicate_email")

    assert body["title"] == "Duplicate email"
    assert registered() == before


def test_a_refused_email_takes_the_login_along(staff):
    ok(register(staff, "ann@example.com"), 201)

    problem(
        register(staff, "ANN@example.com", username="ann2", password="a-long-pass-456"),
        409,
        "duplicate_email",
    )

    assert not get_user_model().objects.filter(username="ann2").exists()


def test_changing_to_another_customers_email_is_duplicate_email_and_changes_nothing(staff):
    ok(register(staff, "ann@example.com"), 201)
    bea = ok(register(staff, "bea@example.com"), 201)["id"]
    before = Event.objects.count()

    problem(change_email(staff, bea, "Ann@example.com"), 409, "duplicate_email")

    assert Event.objects.count() == before
    assert EmailClaim.objects.get(customer_id=bea).key == email_key("bea@example.com")


def test_a_change_of_email_moves_the_claim_and_frees_the_old_email(staff):
    ann = ok(register(staff, "ann@example.com"), 201)["id"]

    ok(change_email(staff, ann, "ann@new.example"))

    assert list(EmailClaim.objects.values_list("key", flat=True)) == [email_key("ann@new.example")]
    ok(register(staff, "ANN@example.com"), 201)  # free again
    problem(register(staff, "ann@NEW.example"), 409, "duplicate_email")


def test_a_customer_may_change_the_case_of_its_own_email(staff):
    ann = ok(register(staff, "ann@example.com"), 201)["id"]

    ok(change_email(staff, ann, "Ann@Example.com"))

    assert EmailClaim.objects.get(customer_id=ann).key == email_key("ann@example.com")


def test_the_claim_is_a_keyed_hash_of_the_normalised_email_and_holds_no_email(staff, settings):
    ann = ok(register(staff, "Ann.Lee@Example.com"), 201)["id"]

    (claim,) = EmailClaim.objects.values("key", "customer_id")
    integrity_key = base64.b64decode(settings.INTEGRITY_KEY)
    claim_key = hmac.new(integrity_key, b"chronicle: customer email claim, v1", "sha256").digest()
    expected = hmac.new(claim_key, b"ann.lee@example.com", hashlib.sha256).hexdigest()
    assert claim == {"key": expected, "customer_id": UUID(ann)}
    assert expected != hashlib.sha256(b"ann.lee@example.com").hexdigest(), "keyed, not plain"
    settings.INTEGRITY_KEY = base64.b64encode(b"another key of thirty-two bytes!").decode()
    assert email_key("ann.lee@example.com") != expected
