"""Staff logins for read-model admin tests: view permissions, and maybe rebuild."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

# What staff browse; not logins or API tokens.
STAFF_APPS = ("eventstore", "orders", "projections", "django_q")


def make_staff(username: str = "staff", *, rebuild: bool = False, password: str | None = None):
    """An active staff member who may view Chronicle's records (and rebuild, if asked)."""
    user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    permissions = Permission.objects.filter(
        codename__startswith="view_", content_type__app_label__in=STAFF_APPS
    )
    user.user_permissions.set(permissions)
    if rebuild:
        user.user_permissions.add(Permission.objects.get(codename="rebuild_projection"))
    return user
