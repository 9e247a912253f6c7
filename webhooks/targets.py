"""POSTing to a subscriber's target, and nowhere it should not go.

A webhook target is a URL someone typed; the server connects to it. So that it
cannot be pointed at Chronicle's own network (server-side request forgery), every
address the target's name resolves to is checked, and the check is made on the
address the socket actually connected to, not on a second lookup of the name, which
a DNS server that answers differently each time (DNS rebinding) could change between
the check and the connection. Private, loopback, link-local, shared, multicast,
reserved and unspecified addresses are refused, IPv6 ones and IPv4 addresses inside
IPv6 (mapped, 6to4, NAT64) alike, unless ``WEBHOOKS_ALLOW_PRIVATE_TARGETS`` is set
(tests and local development).

A delivery is bounded: connect and read time out after ``WEBHOOKS_TIMEOUT_SECONDS``,
no more than ``WEBHOOKS_RESPONSE_LIMIT_BYTES`` of the answer is read, and a redirect
is an answer like any other non-2xx (never followed).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(Exception):
    """The target cannot be used: a bad URL, or an address it must not reach."""


class DeliveryFailed(Exception):
    """The target did not take the delivery (it was reached, or tried)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def forbidden(address: Address) -> bool:
    """Whether ``address`` is one a webhook must not reach (by default)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return forbidden(embedded)
    return not address.is_global or address.is_multicast


def check_url(url: str) -> None:
    """Refuse a URL no delivery could use: not http(s), no host, credentials in it, or
    (unless private targets are allowed) a host that resolves to a forbidden address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("the target must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the target URL must not carry credentials")
    try:
        port = parts.port or _default_port(parts.scheme)
    except ValueError:
        raise TargetRefused("the target URL's port is not a number from 1 to 65535") from None
    if settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        return
    try:
        addresses = _resolve(parts.hostname, port)
    except DeliveryFailed as error:
        raise TargetRefused(str(error)) from None
    if all(forbidden(address) for address, _ in addresses):
        raise TargetRefused(
            f"{parts.hostname} resolves to a private or reserved address; webhooks may not "
            "reach it (WEBHOOKS_ALLOW_PRIVATE_TARGETS allows it, for development)"
        )


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url``; the answer's status and (the start of) its body.

    Raises ``TargetRefused`` when no allowed address serves the target, and
    ``DeliveryFailed`` when it could not be reached or did not answer in time.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("the target must be an http or https URL with a host")
    port = parts.port or _default_port(parts.scheme)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
    sock = _connect(parts.hostname, port, timeout)
    if parts.scheme == "https":
        context = ssl.create_default_context()
        try:
            sock = context.wrap_socket(sock, server_hostname=parts.hostname)
        except (OSError, ssl.SSLError) as error:
            sock.close()
            raise DeliveryFailed(f"TLS with {parts.hostname} failed: {error}") from None
    connection = _Connected(parts.hostname, port, sock, timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read(settings.WEBHOOKS_RESPONSE_LIMIT_BYTES))
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
    refused: list[str] = []
    errors: list[str] = []
    for address, sockaddr in _resolve(host, port):
        if not allow_private and forbidden(address):
            refused.append(str(address))
            continue
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
            connected = ipaddress.ip_address(sock.getpeername()[0].split("%")[0])
        except OSError as error:
            sock.close()
            errors.append(f"{address}: {error}")
            continue
        if not allow_private and forbidden(connected):
            sock.close()
            refused.append(str(connected))
            continue
        return sock
    if errors:
        raise DeliveryFailed(f"could not connect to {host}:{port}: {'; '.join(errors)}")
    raise TargetRefused(f"{host} resolves only to forbidden addresses ({', '.join(refused)})")


def _resolve(host: str, port: int) -> list[tuple[Address, tuple[object, ...]]]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise DeliveryFailed(f"{host} does not resolve: {error}") from None
    return [
        (ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), sockaddr)
        for family, _, _, _, sockaddr in found
        if family in (socket.AF_INET, socket.AF_INET6)
    ]


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


class _Connected(http.client.HTTPConnection):
    """An HTTP connection over a socket that is already connected (and checked)."""

    def __init__(self, host: str, port: int, sock: socket.socket, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.sock = sock

    def connect(self) -> None:  # the socket is given; never look the name up again
        if self.sock is None:
            raise http.client.NotConnected("the connection was closed")
