"""Production settings pass Django's deployment checks; nothing secret is in the repo."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser suite's DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a production check.
    ignored = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in ignored}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_environment():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="chronicle.example.com",
        CHRONICLE_KEY_ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        CHRONICLE_INTEGRITY_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_production_without_an_integrity_key():
    result = run_manage(
        "check",
        "--deploy",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="chronicle.example.com",
        CHRONICLE_KEY_ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        CHRONICLE_INTEGRITY_KEY="",
    )
    assert result.returncode != 0
    assert "eventstore.E003" in result.stdout + result.stderr


def test_check_deploy_refuses_production_without_a_key_encryption_key():
    result = run_manage(
        "check",
        "--deploy",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="chronicle.example.com",
        CHRONICLE_KEY_ENCRYPTION_KEY="",
    )
    assert result.returncode != 0
    assert "eventstore.E001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_no_secret_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    suspicious = [
        name
        for name in tracked
        if name.endswith((".env", ".pem", ".key")) or "secret" in name.lower()
    ]
    assert suspicious == []
