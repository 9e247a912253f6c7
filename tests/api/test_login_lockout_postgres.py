"""Login lockout under real concurrency: two gunicorn workers on PostgreSQL."""

from __future__ import annotations

import http.client
import json

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

from tests.api.test_concurrent_commands_postgres import in_threads
from tests.faults.processes import database_url, environment, free_port, gunicorn

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LIMIT = 5


def log_in(port: int, username: str, password: str, forwarded_for: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/auth/token/",
            json.dumps({"username": username, "password": password}),
            {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def test_twenty_concurrent_wrong_passwords_through_two_gunicorn_workers_let_at_most_the_limit_through(  # noqa: E501
    django_user_model, tmp_path
):
    # The production hasher, so each checked password costs what it does in production.
    django_user_model.objects.create(
        username="victim", password=make_password("right-pass-123", hasher=PBKDF2PasswordHasher())
    )
    port = free_port()
    env = environment(database_url(), AUTH_FAILURE_LIMIT=str(LIMIT), DEBUG="true")
    server = gunicorn(env, port, tmp_path / "gunicorn.log", workers=2)
    try:
        answers = in_threads(
            20, lambda n: log_in(port, "victim", f"wrong-{n}", forwarded_for=f"203.0.113.{n}")
        )
        after = log_in(port, "victim", "right-pass-123", forwarded_for="198.51.100.1")
    finally:
        server.stop()

    assert all(isinstance(a, tuple) for a in answers), (answers, server.output())
    statuses = sorted(a[0] for a in answers)
    checked = [s for s in statuses if s != 429]
    assert set(statuses) <= {400, 429}, (statuses, server.output())
    assert len(checked) <= LIMIT, statuses
    assert all(a[1]["code"] == "throttled" for a in answers if a[0] == 429)
    assert after[0] == 429, after

    from axes.models import AccessAttempt

    recorded = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert recorded <= LIMIT


def test_twelve_concurrent_wrong_passwords_through_the_admin_form_check_at_most_the_limit(
    django_user_model, settings
):
    from django.test import Client

    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    django_user_model.objects.create_user("victim", password="right-pass-123", is_staff=True)

    def attempt(n: int) -> int:
        form = {"username": "victim", "password": f"wrong-{n}"}
        return Client().post("/admin/login/", form, REMOTE_ADDR=f"10.1.0.{n}").status_code

    statuses = in_threads(12, attempt)

    from axes.models import AccessAttempt

    assert set(statuses) <= {200, 429}, statuses  # 200: the form again, with its error
    recorded = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert recorded <= LIMIT, statuses
