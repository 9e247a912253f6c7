"""The admin's login form, its password check under the API login's lock."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from accounts.client_address import client_ip
from accounts.lockout import login_lock


class LockedAdminLoginForm(AdminAuthenticationForm):
    """As Django's, but concurrent attempts of one username or address run one at a
    time, so they cannot pass the lockout's limit together (``accounts.lockout``)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = client_ip(self.request) if self.request is not None else None
        with login_lock(username, address):
            try:
                return super().clean()
            except ValidationError as refused:  # raised after the lock: keep the recorded failure
                error = refused
        raise error
