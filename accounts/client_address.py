"""The client address that login failures are counted against (``AXES_CLIENT_IP_CALLABLE``)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, unless ``TRUSTED_PROXIES`` reverse proxies stand in front.

    Any client can send X-Forwarded-For, so with no trusted proxy (the default) it
    is ignored. Behind N proxies that each append the address they received the
    request from, the client is the N-th address from the right: what the client
    wrote itself is further left, and a forged entry cannot move it. (django-ipware
    counts the proxies *in* the header, one fewer; non-strict so that forged extra
    entries do not void the header.) Without enough entries: REMOTE_ADDR.
    """
    proxies = settings.TRUSTED_PROXIES
    if proxies > 0:
        address, _ = get_client_ip(
            request,
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if address:
            return address
    return request.META.get("REMOTE_ADDR")
