"""What logins need besides Django's user table."""

from django.conf import settings
from django.db import models


class UsernameClaim(models.Model):
    """A username taken whatever its case: ``key`` is the username NFKC-normalized and
    case-folded (``accounts.usernames.username_key``), unique, so "Ann" and "ann"
    cannot both exist, even when created at the same moment. ``auth_user.username``
    is unique only as spelled. Kept by a receiver on every save of a user."""

    # Case folding can make a character up to three long (ΐ → ΐ), hence 3 × 150.
    key = models.CharField(max_length=450, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="username_claim"
    )

    def __str__(self) -> str:
        return self.key
