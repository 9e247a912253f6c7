"""Customer logins: a username is taken whatever its case (409 duplicate_username),
and Django's username rules apply. (Concurrent registrations are in
``test_concurrent_registration_postgres.py``.)"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from eventstore.models import Event
from tests.api.test_commands import problem

pytestmark = pytest.mark.django_db


def register(staff, username: str, email: str = "ann@example.com"):
    body = {
        "name": "Ann",
        "email": email,
        "phone": "+3200000000",
        "username": username,
        "password": "a-long-pass-456",
    }
    return staff.post("/api/customers/", body)


def customers_registered() -> int:
    return Event.objects.filter(event_type="CustomerRegistered").count()


def test_registering_a_username_that_exists_answers_409_and_changes_nothing(staff):
    assert register(staff, "ann").status_code == 201
    before = customers_registered()

    body = problem(register(staff, "ann", "other@example.com"), 409, "duplicate_username")

    assert "ann" in body["detail"]
    assert customers_registered() == before
    assert get_user_model().objects.filter(username__iexact="ann").count() == 1


@pytest.mark.parametrize("taken, again", [("Ann", "ann"), ("ann", "ANN"), ("Straße", "STRASSE")])
def test_a_username_differing_only_in_case_is_taken(staff, taken, again):
    assert register(staff, taken).status_code == 201

    problem(register(staff, again, "other@example.com"), 409, "duplicate_username")


def test_a_username_of_a_staff_login_is_taken_too(staff):
    problem(register(staff, "STAFF"), 409, "duplicate_username")


@pytest.mark.parametrize("username", ["ann smith", "ann/../x", "ann<script>"])
def test_djangos_username_rules_apply(staff, username):
    before = customers_registered()

    body = problem(register(staff, username), 400, "invalid_request")

    assert [e["field"] for e in body["errors"]] == ["username"]
    assert customers_registered() == before
    assert not get_user_model().objects.filter(username=username).exists()


def test_a_login_created_elsewhere_claims_its_username_too(staff, django_user_model):
    django_user_model.objects.create_user("Bea")

    problem(register(staff, "bea"), 409, "duplicate_username")
