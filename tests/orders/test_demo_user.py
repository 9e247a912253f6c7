"""manage.py demo_user: `make run` creates the demo login once and never undoes a
password someone changed."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo_user", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture(autouse=True)
def _default_demo_login(monkeypatch):
    monkeypatch.delenv("DEMO_USERNAME", raising=False)
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


def demo():
    return get_user_model().objects.get(username="demo")


def test_creates_the_demo_staff_user_when_absent(db):
    assert run() == "Created demo staff user: demo / chronicle-demo"
    user = demo()
    assert user.is_staff and user.is_superuser
    assert user.check_password("chronicle-demo")
    assert user.has_perm("projections.rebuild_projection")


def test_leaves_a_changed_password_alone(db):
    run()
    user = demo()
    user.set_password("mine-now")
    user.save()

    output = run()
    assert output.startswith("Kept demo staff user: demo (its password was changed;")
    assert "--reset-password" in output
    assert demo().check_password("mine-now")
    assert run("--login") == (
        "demo (its password was changed; "
        "`manage.py demo_user --reset-password` sets the demo one again)"
    )
    assert demo().check_password("mine-now")


def test_an_unchanged_password_is_reported_as_the_login(db):
    run()
    assert run() == "Kept demo staff user: demo / chronicle-demo"
    assert run("--login") == "demo / chronicle-demo"


def test_reset_password_sets_the_demo_password_again(db):
    run()
    user = demo()
    user.set_password("mine-now")
    user.save()

    assert run("--reset-password") == "Reset demo staff user: demo / chronicle-demo"
    assert demo().check_password("chronicle-demo")


def test_login_creates_the_user_too_and_follows_the_environment(db, monkeypatch):
    monkeypatch.setenv("DEMO_USERNAME", "shopkeeper")
    monkeypatch.setenv("DEMO_PASSWORD", "s3cret-demo")
    assert run("--login") == "shopkeeper / s3cret-demo"
    assert get_user_model().objects.get(username="shopkeeper").check_password("s3cret-demo")
