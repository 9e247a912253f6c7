"""Usernames are unique whatever their case: each user claims the case-folded form
of its username (``UsernameClaim``) in the transaction that saves it."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import UsernameClaim


class UsernameTaken(IntegrityError):
    """Another user claims this username in another case. An ``IntegrityError``, so
    code that handles the exact-case unique constraint handles this one too."""


def username_key(username: str) -> str:
    """What two usernames share when they differ only in case ("Straße", "STRASSE")."""
    return unicodedata.normalize("NFKC", username).casefold()


def is_taken(username: str) -> bool:
    return UsernameClaim.objects.filter(key=username_key(username)).exists()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.claim_username")
def claim_username(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    """Claim a saved user's username; raises ``UsernameTaken`` if another user has it.

    Call ``save`` inside a transaction (the admin and the registration command do) so
    that a refused claim rolls the user back too."""
    if raw or (update_fields is not None and "username" not in update_fields):
        return
    key = username_key(instance.get_username())
    claim = UsernameClaim.objects.filter(user_id=instance.pk).first()
    if claim is not None and claim.key == key:
        return
    try:
        with transaction.atomic():
            if claim is None:
                UsernameClaim.objects.create(user_id=instance.pk, key=key)
            else:
                claim.key = key
                claim.save(update_fields=["key"])
    except IntegrityError:
        raise UsernameTaken(f"the username {instance.get_username()!r} is taken") from None
