"""API tokens: one per login, with an expiry; revoked by logout, logout-all, a
password change and deactivation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import Api
from tests.api.test_commands import problem

pytestmark = pytest.mark.django_db

TTL = timedelta(hours=10)  # the default


def log_in(username: str = "staff", password: str = "staff-pass-123") -> str:
    response = Api().post("/api/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def works(token: str) -> bool:
    """Whether the token authenticates (customers/me: 404 without a projected customer
    entry, but not 401)."""
    status = Api(token).get("/api/customers/me").status_code
    assert status in (401, 404), status
    return status == 404


def test_each_login_gets_a_token_of_its_own_with_an_expiry(staff_user):
    before = timezone.now()
    response = Api().post("/api/auth/token/", {"username": "staff", "password": "staff-pass-123"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    expiry = datetime.fromisoformat(body["expiry"])
    assert before + TTL <= expiry <= timezone.now() + TTL
    assert log_in() != body["token"]


def test_a_token_works_until_its_expiry_and_not_after(staff_user, monkeypatch):
    token = log_in()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + TTL - timedelta(minutes=1))
    assert works(token)

    monkeypatch.setattr(timezone, "now", lambda: real_now() + TTL + timedelta(minutes=1))
    assert not works(token)


def test_logout_revokes_the_token_used_and_no_other(staff_user):
    used, other = log_in(), log_in()

    response = Api(used).post("/api/auth/logout/")

    assert response.status_code == 204 and not response.content
    assert not works(used)
    assert works(other)
    problem(Api(used).post("/api/auth/logout/"), 401, "not_authenticated")


def test_logout_all_revokes_every_token_of_that_user_and_no_one_elses(staff_user, shop):
    first, second = log_in(), log_in()
    alices = log_in("alice-login", "x-pass-987654")

    response = Api(first).post("/api/auth/logout-all/")

    assert response.status_code == 204 and not response.content
    assert not works(first) and not works(second)
    assert works(alices)


def test_changing_the_password_revokes_the_users_tokens(staff_user):
    token = log_in()

    staff_user.set_password("a-new-pass-456")
    staff_user.save()

    assert not works(token)
    assert works(log_in(password="a-new-pass-456"))


def test_deactivating_the_user_revokes_their_tokens_for_good(staff_user):
    token = log_in()

    staff_user.is_active = False
    staff_user.save()
    staff_user.is_active = True
    staff_user.save()

    assert not works(token)


def test_saving_a_user_otherwise_keeps_their_tokens(staff_user):
    token = log_in()

    staff_user.first_name = "Sam"
    staff_user.save()

    assert works(token)


def test_logout_with_a_session_instead_of_a_token_is_refused(staff_user, client):
    client.force_login(staff_user)

    problem(client.post("/api/auth/logout/"), 401, "not_authenticated")


def test_a_token_that_is_not_utf8_is_refused_not_a_server_error(staff_user):
    api = Api()
    api.client.credentials(HTTP_AUTHORIZATION="Token caf\xe9")

    problem(api.get("/api/customers/me"), 401, "not_authenticated")


def test_a_token_is_checked_in_one_query(staff_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIRequestFactory

    from accounts.tokens import TokenAuthentication

    token = log_in()
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as queries:
        user, _ = TokenAuthentication().authenticate(request)
        assert user.pk == staff_user.pk and user.is_active
    assert len(queries) == 1


def test_the_token_query_also_finds_the_customer_the_login_acts_for(staff_user):
    import uuid

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIRequestFactory

    from accounts.tokens import TokenAuthentication
    from orders import access
    from orders.models import CustomerAccount

    customer_id = uuid.uuid4()
    login = get_user_model().objects.create_user("customer-login", password="x-pass-987654")
    CustomerAccount.objects.create(user=login, customer_id=customer_id)
    for token, acts_for in (
        (log_in("customer-login", "x-pass-987654"), customer_id),
        (
            log_in(),
            None,
        ),
    ):
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token}")
        with CaptureQueriesContext(connection) as queries:
            user, _ = TokenAuthentication().authenticate(request)
            assert access.customer_id_for(user) == acts_for
        assert len(queries) == 1
    # A login not authenticated by token (a session) is looked up as before.
    assert access.customer_id_for(get_user_model().objects.get(pk=login.pk)) == customer_id


def test_an_expired_token_is_deleted_when_presented_and_a_login_deletes_the_others(
    staff_user, monkeypatch
):
    from knox.models import AuthToken
    from knox.settings import CONSTANTS

    presented, other, kept = log_in(), log_in(), log_in()
    real_now = timezone.now
    AuthToken.objects.update(expiry=real_now() - timedelta(minutes=1))
    kept_key = kept[: CONSTANTS.TOKEN_KEY_LENGTH]
    AuthToken.objects.filter(token_key=kept_key).update(expiry=real_now() + TTL)

    assert not works(presented)
    assert AuthToken.objects.count() == 2  # the presented one is gone
    log_in()
    assert AuthToken.objects.count() == 2  # the other expired one too; kept and the new
    assert works(kept) and not works(other)
