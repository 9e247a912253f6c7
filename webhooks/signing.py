"""Each subscription's signing secret: made by the server, shown once, kept encrypted.

The secret is a Standard Webhooks ``whsec_`` secret (24 random bytes, base64). It is
stored AES-256-GCM-encrypted under ``KEY_ENCRYPTION_KEY``, the key that wraps the
customers' data keys (``eventstore.shredding``), bound to the subscription's id, so a
database copy alone cannot sign. ``manage.py rotate_key_encryption_key`` rewraps them
with the data keys (``rewrap``).
"""

from __future__ import annotations

import base64
import secrets
from uuid import UUID

from eventstore import shredding

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def seal(secret: str, subscription_id: UUID) -> bytes:
    return shredding.wrap(secret.encode(), _subject(subscription_id))


def open_sealed(sealed: bytes | memoryview, subscription_id: UUID, kek: bytes | None = None) -> str:
    return shredding.unwrap(bytes(sealed), _subject(subscription_id), kek).decode()


def rewrap(old_kek: bytes, new_kek: bytes) -> tuple[int, int]:
    """Re-encrypt every subscription's secret from ``old_kek`` to ``new_kek``: (how many
    were, how many were under the new key already). Raises ``InvalidTag`` when a secret
    opens under neither."""
    from webhooks.models import Subscription

    rewrapped = already = 0
    for subscription in Subscription.objects.select_for_update():
        try:
            secret = open_sealed(subscription.sealed_secret, subscription.id, old_kek)
        except shredding.InvalidTag:
            open_sealed(subscription.sealed_secret, subscription.id, new_kek)
            already += 1
            continue
        subject = _subject(subscription.id)
        subscription.sealed_secret = shredding.wrap(secret.encode(), subject, new_kek)
        subscription.save(update_fields=["sealed_secret"])
        rewrapped += 1
    return rewrapped, already


def _subject(subscription_id: UUID) -> str:
    return f"webhook-secret:{subscription_id}"
