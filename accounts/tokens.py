"""API tokens are django-rest-knox's: one per login, stored as a digest, expiring
after ``REST_KNOX["TOKEN_TTL"]``. Here: the authentication class, and revocation of
a user's tokens when their password changes or they are deactivated."""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.conf import settings
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from knox import auth
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework.exceptions import AuthenticationFailed

CREDENTIAL_FIELDS = {"password", "is_active"}


class TokenAuthentication(auth.TokenAuthentication):
    """knox's ``Authorization: Token <token>`` in one query (the token, its user and
    the customer account it acts for),
    refusing a token that is not UTF-8 with a 401 (knox decodes it unguarded, which
    would be a 500).

    knox also reads all of the user's other tokens on every request, to delete the
    expired ones: here an expired token is deleted when it is presented, and a login
    deletes its user's expired tokens (``clear_expired``)."""

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        candidates = (
            get_token_model()
            .objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH])
            # The login's user, and the customer it acts for if any (orders'
            # CustomerAccount, a one-to-one): the access checks then ask nothing more.
            .select_related("user", "user__customer_account")
        )
        for auth_token in candidates:
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=type(self), username=username, source="auth_token")
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise AuthenticationFailed("Invalid token.") from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise AuthenticationFailed("Invalid token.")


def clear_expired(user) -> int:
    """Delete ``user``'s expired tokens (at a login); how many there were."""
    deleted, _ = (
        get_token_model().objects.filter(user_id=user.pk, expiry__lt=timezone.now()).delete()
    )
    return deleted


def revoke_all(user) -> int:
    """Revoke every token of ``user``; how many there were."""
    deleted, _ = get_token_model().objects.filter(user_id=user.pk).delete()
    return deleted


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.credentials_saved")
def _note_credential_change(sender, instance, raw: bool = False, update_fields=None, **kwargs):
    """Whether this save changes the password hash or deactivates the user.

    Any change of the stored hash counts, including Django's rehash on login after a
    hasher upgrade (the login's own token is made after it), as Django does for
    sessions. ``QuerySet.update`` sends no signal: use ``revoke_all`` with it."""
    instance._revoke_tokens = False
    if raw or instance.pk is None:
        return
    if update_fields is not None and not CREDENTIAL_FIELDS & set(update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).values(*CREDENTIAL_FIELDS).first()
    if before is not None:
        deactivated = before["is_active"] and not instance.is_active
        instance._revoke_tokens = deactivated or before["password"] != instance.password


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.revoke_tokens")
def _revoke_on_credential_change(sender, instance, **kwargs) -> None:
    if getattr(instance, "_revoke_tokens", False):
        instance._revoke_tokens = False
        revoke_all(instance)
