"""Login lockout: failures are counted in the database, per username and per client
address, and the address is REMOTE_ADDR unless proxies in front are trusted.

(The concurrent case, through gunicorn on PostgreSQL, is in
``test_login_lockout_postgres.py``.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission

from tests.api.test_commands import problem

pytestmark = pytest.mark.django_db

LIMIT = 5
COOL_OFF = timedelta(minutes=15)
TOKEN = "/api/auth/token/"


@pytest.fixture(autouse=True)
def lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = COOL_OFF
    settings.TRUSTED_PROXIES = 0


def log_in(api, username: str, password: str, address: str = "127.0.0.1", **headers):
    return api.client.post(
        TOKEN,
        {"username": username, "password": password},
        format="json",
        headers=headers,
        REMOTE_ADDR=address,
    )


def fail(api, times: int, username: str = "staff", **kwargs) -> None:
    for _ in range(times):
        problem(log_in(api, username, "a-wrong-guess", **kwargs), 400, "invalid_credentials")


def test_wrong_passwords_below_the_limit_are_answered_invalid_credentials(anonymous, staff_user):
    fail(anonymous, LIMIT - 1)
    assert log_in(anonymous, "staff", "staff-pass-123").status_code == 200


def test_rotating_x_forwarded_for_does_not_reset_the_failure_count(anonymous, staff_user):
    for n in range(LIMIT - 1):
        fail(anonymous, 1, **{"X-Forwarded-For": f"203.0.113.{n}"})
    problem(
        log_in(anonymous, "staff", "a-wrong-guess", **{"X-Forwarded-For": "203.0.113.99"}),
        429,
        "throttled",
    )
    response = log_in(anonymous, "staff", "staff-pass-123", **{"X-Forwarded-For": "198.51.100.7"})
    problem(response, 429, "throttled")


def test_a_locked_out_login_answers_429_problem_json_with_retry_after(anonymous, staff_user):
    fail(anonymous, LIMIT - 1)
    problem(log_in(anonymous, "staff", "a-wrong-guess"), 429, "throttled")

    response = log_in(anonymous, "staff", "staff-pass-123")  # even the right password

    body = problem(response, 429, "throttled")
    assert "token" not in body
    assert 0 < int(response["Retry-After"]) <= COOL_OFF.total_seconds()


def test_failures_from_many_addresses_lock_the_username(anonymous, staff_user):
    for n in range(LIMIT):
        log_in(anonymous, "staff", "a-wrong-guess", address=f"10.0.0.{n}")
    problem(log_in(anonymous, "staff", "staff-pass-123", address="10.0.9.9"), 429, "throttled")


def test_failures_against_many_usernames_lock_the_address(anonymous, staff_user):
    for n in range(LIMIT):
        log_in(anonymous, f"nobody-{n}", "a-wrong-guess", address="10.0.0.5")
    problem(log_in(anonymous, "staff", "staff-pass-123", address="10.0.0.5"), 429, "throttled")
    assert log_in(anonymous, "staff", "staff-pass-123", address="10.0.0.6").status_code == 200


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_appended(
    anonymous, staff_user, settings
):
    settings.TRUSTED_PROXIES = 1
    for n in range(LIMIT):  # the client forges the left part; the proxy appends its address
        log_in(anonymous, f"nobody-{n}", "guess", **{"X-Forwarded-For": f"1.2.3.{n}, 203.0.113.9"})
    locked = log_in(anonymous, "staff", "staff-pass-123", **{"X-Forwarded-For": "203.0.113.9"})
    problem(locked, 429, "throttled")
    other_client = log_in(
        anonymous, "staff", "staff-pass-123", **{"X-Forwarded-For": "203.0.113.9, 198.51.100.2"}
    )
    assert other_client.status_code == 200, other_client.content


def test_without_trusted_proxies_x_forwarded_for_is_ignored(anonymous, staff_user):
    for n in range(LIMIT):
        log_in(anonymous, f"nobody-{n}", "guess", **{"X-Forwarded-For": "203.0.113.9"})
    problem(
        log_in(anonymous, "staff", "staff-pass-123", **{"X-Forwarded-For": "198.51.100.2"}),
        429,
        "throttled",
    )


def test_the_lockout_lifts_after_the_cool_off(anonymous, staff_user):
    from axes.models import AccessAttempt

    fail(anonymous, LIMIT - 1)
    log_in(anonymous, "staff", "a-wrong-guess")
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - COOL_OFF)
    assert log_in(anonymous, "staff", "staff-pass-123").status_code == 200


def test_staff_unlock_a_locked_out_login_in_the_admin(
    anonymous, staff_user, client, django_user_model
):
    fail(anonymous, LIMIT - 1)
    log_in(anonymous, "staff", "a-wrong-guess")
    problem(log_in(anonymous, "staff", "staff-pass-123"), 429, "throttled")
    unlocker = django_user_model.objects.create_user("security", is_staff=True)
    unlocker.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="axes",
            codename__in=["view_accessattempt", "delete_accessattempt"],
        )
    )
    client.force_login(unlocker)

    listing = client.get("/admin/axes/accessattempt/", {"q": "staff"})
    assert listing.status_code == 200
    ids = [str(pk) for pk in listing.context["cl"].result_list.values_list("pk", flat=True)]
    assert ids
    unlocked = client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert unlocked.status_code == 302
    assert log_in(anonymous, "staff", "staff-pass-123").status_code == 200


def test_the_admin_login_form_shares_the_count_and_answers_a_lockout_with_429(
    anonymous, staff_user, client
):
    fail(anonymous, LIMIT - 1)  # through the API
    assert (
        client.post("/admin/login/", {"username": "staff", "password": "guess"}).status_code == 429
    )

    response = client.post("/admin/login/", {"username": "staff", "password": "staff-pass-123"})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= COOL_OFF.total_seconds()
    assert "_auth_user_id" not in client.session


def test_a_right_password_in_the_admin_login_form_still_logs_in(staff_user, client):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "staff", "password": "staff-pass-123"}
    )

    assert response.status_code == 302 and response["Location"] == "/admin/"
