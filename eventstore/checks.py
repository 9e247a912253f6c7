"""``manage.py check --deploy``: production needs its own key-encryption and integrity keys."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from eventstore.shredding import key_encryption_key


@register(Tags.security, deploy=True)
def key_encryption_key_set(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The key wrapping every data key comes from the environment, 32 bytes of base64."""
    text = getattr(settings, "KEY_ENCRYPTION_KEY", "")
    if not text:
        return [
            Error(
                "KEY_ENCRYPTION_KEY is not set: set CHRONICLE_KEY_ENCRYPTION_KEY to 32 "
                "random bytes, base64-encoded (README, Compliance).",
                id="eventstore.E001",
            )
        ]
    try:
        key_encryption_key(text)
    except ValueError as error:
        return [Error(str(error), id="eventstore.E002")]
    return []


@register(Tags.security, deploy=True)
def integrity_key_set(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The key of the log's chain hashes and seals comes from the environment too:
    whoever holds it can forge a consistent chain (eventstore/chain.py)."""
    text = getattr(settings, "INTEGRITY_KEY", "")
    try:
        if len(base64.b64decode(text, validate=True)) == 32:
            return []
    except ValueError:
        pass
    return [
        Error(
            "INTEGRITY_KEY is not 32 bytes of base64: set CHRONICLE_INTEGRITY_KEY to 32 "
            "random bytes, base64-encoded (README, Compliance).",
            id="eventstore.E003",
        )
    ]
