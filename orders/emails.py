"""Customers' emails are unique whatever their case, and the claim that keeps them so
holds no email.

A customer claims ``email_key`` of its email (``orders.models.EmailClaim``) in the
transaction that records the email: registration claims it, a change of email moves
the customer's claim to the new key. The key is an HMAC-SHA256 of the normalised email
(NFKC, case-folded, trimmed) under a key derived from ``settings.INTEGRITY_KEY``, so a
claim left behind by a forgotten customer names no one, and nobody without the key can
test a guessed email against the table. Rotating the integrity key means making the
claims again from the log, as migration ``orders.0005_customer_email_claims`` did
(``claims_from``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PURPOSE = b"chronicle: customer email claim, v1"
EMAIL_EVENTS = ("CustomerRegistered", "CustomerEmailChanged")


def normalised(email: str) -> str:
    """What two emails share when they differ only in case ("Ann@X.org", "ann@x.org")."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def email_key(email: str) -> str:
    """The claim's key for ``email``: 64 hex digits, the same for every spelling of it."""
    return hmac.new(_claim_key(), normalised(email).encode(), hashlib.sha256).hexdigest()


def _claim_key() -> bytes:
    """A key of its own for email claims, derived from the integrity key (which also
    signs other things), so that one use's values never stand for another's."""
    if not settings.INTEGRITY_KEY:
        raise ImproperlyConfigured("INTEGRITY_KEY (CHRONICLE_INTEGRITY_KEY) is not set")
    integrity_key = base64.b64decode(settings.INTEGRITY_KEY)
    return hmac.new(integrity_key, PURPOSE, hashlib.sha256).digest()


@dataclass(frozen=True)
class Claims:
    """Who claims which key, and who shares an email an older customer claims."""

    claimed: dict[str, UUID]  # key → customer
    duplicates: list[tuple[UUID, UUID]]  # (customer left unclaimed, customer holding it)


def claims_from(events: Iterable[dict[str, Any]]) -> Claims:
    """The claims that the data of the customers' email events (``EMAIL_EVENTS``), in log
    order, call for: each customer's last email, the oldest customer first; a younger
    customer whose email an older one claims is a duplicate, left unclaimed."""
    emails: dict[UUID, str] = {}
    for data in events:
        emails[UUID(str(data["customer_id"]))] = str(data["email"])
    claimed: dict[str, UUID] = {}
    duplicates = []
    for customer_id, email in emails.items():
        holder = claimed.setdefault(email_key(email), customer_id)
        if holder != customer_id:
            duplicates.append((customer_id, holder))
    return Claims(claimed, duplicates)
