"""Who may do what: every endpoint under /api/ and /healthz, for every kind of caller.

The endpoints come from the URL conf, not from this file: a route (or a method on
one) that has no row in ``MATRIX`` is a failing test, so nobody adds an endpoint
without deciding who may call it. Each row names a request that succeeds for
someone allowed, against a fresh shop, and the status each caller gets:

- anonymous: no credentials; intruder: a token that does not exist;
- alice: customer A, who owns the orders in the paths; bob: customer B;
- staff: staff without ``projections.rebuild_projection``; rebuilder: staff with it;
- integrator: staff with ``webhooks.manage_webhooks`` (as staff, unless a row says).

Checks run in the contract's order 401, 404, 403 (issue #3): another customer's
order is 404, never revealed; a customer on a staff-only command is 403.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from projections.models import ProjectionState
from tests.api.conftest import ADDRESS, Api, token_for
from webhooks import registration

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "intruder", "alice", "bob", "staff", "rebuilder", "integrator")
PUBLIC_PREFIXES = ("api/", "healthz")
REBUILD = "projections.rebuild_projection"
PROBLEM_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@dataclass(frozen=True)
class Decision:
    """One request, and the status each role in ``ROLES`` gets for it."""

    path: str
    statuses: tuple[int, ...]
    body: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if len(self.statuses) == len(ROLES) - 1:  # the integrator is staff, but for webhooks
            object.__setattr__(self, "statuses", (*self.statuses, self.statuses[4]))
        assert len(self.statuses) == len(ROLES), self.path


def everyone(status: int) -> tuple[int, ...]:
    return (status,) * len(ROLES)


def integrators(status: int) -> tuple[int, ...]:
    """Only staff with the webhooks permission; everyone else authenticated is 403."""
    return (401, 401, 403, 403, 403, 403, status)


#                  anonymous, intruder, alice, bob, staff, rebuilder
AUTHENTICATED = (401, 401, 200, 200, 200, 200)
STAFF_ONLY = (401, 401, 403, 403, 200, 200)
STAFF_CREATES = (401, 401, 403, 403, 201, 201)
OWNER = (401, 401, 200, 404, 200, 200)
TOKEN_HOLDERS = (401, 401, 204, 204, 204, 204)

MATRIX: dict[tuple[str, str], Decision] = {
    # Open doors: the token exchange and health take no credentials at all.
    ("auth-token", "POST"): Decision(
        "/api/auth/token/",
        everyone(200),
        {"username": "alice-login", "password": "x-pass-987654"},
    ),
    ("healthz", "GET"): Decision("/healthz", everyone(200)),
    # Logging out takes the token being revoked; a session or no token is a 401.
    ("auth-logout", "POST"): Decision("/api/auth/logout/", TOKEN_HOLDERS),
    ("auth-logout-all", "POST"): Decision("/api/auth/logout-all/", TOKEN_HOLDERS),
    # The schema and its UI are public, but a bad token is still refused.
    ("schema", "GET"): Decision("/api/schema/", (200, 401, 200, 200, 200, 200)),
    ("docs", "GET"): Decision("/api/docs/", (200, 401, 200, 200, 200, 200)),
    # Unknown paths are a 404 problem for everyone, whatever the method.
    ("api-not-found", "GET"): Decision("/api/nothing-here", everyone(404)),
    ("api-not-found", "POST"): Decision("/api/nothing-here", everyone(404), {}),
    # Customers.
    ("customers", "GET"): Decision("/api/customers/", STAFF_ONLY),
    ("customers", "POST"): Decision(
        "/api/customers/",
        STAFF_CREATES,
        {"name": "Cy", "email": "cy@example.com", "phone": "+3200000000"},
    ),
    ("customer-me", "GET"): Decision("/api/customers/me", (401, 401, 200, 200, 404, 404)),
    ("customer-statistics", "GET"): Decision("/api/customers/{alice}/statistics", OWNER),
    ("customer-detail", "GET"): Decision("/api/customers/{alice}", OWNER),
    # Bob acting for Alice is 403, not 404: customers are not secret, orders are.
    ("customer-change-email", "POST"): Decision(
        "/api/customers/{alice}/change-email",
        (401, 401, 200, 403, 200, 200),
        {"email": "alice@new.example"},
    ),
    # Forgetting is staff's; Alice's orders are open here, so staff meet 409 open_orders.
    ("customer-forget", "POST"): Decision(
        "/api/customers/{alice}/forget", (401, 401, 403, 403, 409, 409)
    ),
    # Products and stock.
    ("products", "GET"): Decision("/api/products/", AUTHENTICATED),
    ("products", "POST"): Decision(
        "/api/products/", STAFF_CREATES, {"sku": "NEW-1", "name": "New", "price": "3.00"}
    ),
    ("product-detail", "GET"): Decision("/api/products/{mug}", AUTHENTICATED),
    ("product-change-price", "POST"): Decision(
        "/api/products/{mug}/change-price", STAFF_ONLY, {"price": "13.00"}
    ),
    ("product-receive-stock", "POST"): Decision(
        "/api/products/{mug}/receive-stock", STAFF_ONLY, {"quantity": 5}
    ),
    ("product-stock", "GET"): Decision("/api/products/{mug}/stock", STAFF_ONLY),
    ("stock", "GET"): Decision("/api/stock/", STAFF_ONLY),
    # Orders: a customer lists and places their own; Bob ordering for Alice is 403.
    ("orders", "GET"): Decision("/api/orders/", AUTHENTICATED),
    ("orders", "POST"): Decision(
        "/api/orders/",
        (401, 401, 201, 403, 201, 201),
        {
            "customer_id": "{alice}",
            "items": [{"product_id": "{mug}", "quantity": 1}],
            "shipping_address": ADDRESS,
        },
    ),
    ("order-detail", "GET"): Decision("/api/orders/{pending}", OWNER),
    ("order-history", "GET"): Decision("/api/orders/{pending}/history", OWNER),
    ("order-state", "GET"): Decision("/api/orders/{pending}/state", OWNER),
    ("order-events", "GET"): Decision("/api/orders/{pending}/events", OWNER),
    ("order-add-item", "POST"): Decision(
        "/api/orders/{pending}/items", OWNER, {"product_id": "{mug}", "quantity": 1}
    ),
    ("order-remove-item", "POST"): Decision("/api/orders/{pending}/items/{tea}/remove", OWNER, {}),
    ("order-pay", "POST"): Decision("/api/orders/{pending}/pay", OWNER, {"payment_id": "pay-2"}),
    ("order-cancel", "POST"): Decision(
        "/api/orders/{pending}/cancel", OWNER, {"reason": "changed my mind"}
    ),
    # Shipping is staff work: Alice, who may see the order, gets 403; Bob gets 404 first.
    ("order-ship", "POST"): Decision(
        "/api/orders/{ready}/ship",
        (401, 401, 403, 404, 200, 200),
        {"carrier": "DHL", "tracking_number": "TR-1"},
    ),
    # The global log is staff only.
    ("event-log", "GET"): Decision("/api/events/", STAFF_ONLY),
    # Webhooks: staff with their own permission; is_staff alone is not enough.
    ("webhooks", "GET"): Decision("/api/webhooks/", integrators(200)),
    ("webhooks", "POST"): Decision(
        "/api/webhooks/", integrators(201), {"target_url": "https://8.8.8.8/hook"}
    ),
    ("webhook", "GET"): Decision("/api/webhooks/{webhook}", integrators(200)),
    ("webhook", "DELETE"): Decision("/api/webhooks/{webhook}", integrators(204)),
    ("webhook-pause", "POST"): Decision("/api/webhooks/{webhook}/pause", integrators(200), {}),
    ("webhook-resume", "POST"): Decision("/api/webhooks/{webhook}/resume", integrators(200), {}),
    ("webhook-test", "POST"): Decision("/api/webhooks/{webhook}/test", integrators(202), {}),
}


def endpoints() -> list[tuple[str, str, str]]:
    """(route, URL name, method) for every public endpoint in the URL conf."""
    found = []
    for route, pattern in _walk(get_resolver().url_patterns, ""):
        if not route.startswith(PUBLIC_PREFIXES):
            continue
        name = pattern.name or route
        found.extend((route, name, method) for method in _methods(pattern.callback))
    return sorted(found)


def _walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        route = prefix + _readable(str(entry.pattern))
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route + ("*" if _is_prefix(entry) else ""), entry


def _is_prefix(entry: URLPattern) -> bool:
    """A regex without ``$`` catches everything under it (the API's 404 for unknown paths)."""
    return isinstance(entry.pattern, RegexPattern) and not str(entry.pattern).endswith("$")


def _readable(pattern: str) -> str:
    """``^api/orders/(?P<order_id>[0-9a-f-]+)/?$`` and ``api/orders/<uuid:order_id>``
    both read as ``api/orders/<order_id>``."""
    pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern)
    pattern = re.sub(r"<\w+:(\w+)>", r"<\1>", pattern)
    return pattern.removeprefix("^").removesuffix("$").removesuffix("/?")


def _methods(callback: Any) -> list[str]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:  # a plain function view answers any method
        return ["GET", "POST"]
    return [
        method.upper()
        for method in view_class.http_method_names
        if method not in ("options", "head") and hasattr(view_class, method)
    ]


ENDPOINTS = endpoints()


def test_the_url_conf_has_public_endpoints_to_check():
    assert len(ENDPOINTS) > 20


def test_every_decision_names_an_endpoint_that_exists():
    routed = {(name, method) for _, name, method in ENDPOINTS}
    assert set(MATRIX) <= routed, f"stale rows: {sorted(set(MATRIX) - routed)}"


@pytest.fixture
def scene(shop, alices_orders, staff, staff_user):
    """The shop and Alice's orders of conftest.py, and a client per role."""
    ids = {"alice": shop["alice_id"], "mug": shop["mug"], "tea": shop["tea"], **alices_orders}
    ids["webhook"] = registration.register(target_url="https://8.8.8.8/hook")[0].pk
    clients = {
        "anonymous": Api(),
        "intruder": Api("0" * 40),
        "alice": shop["alice"],
        "bob": shop["bob"],
        "staff": staff,
        "rebuilder": Api(token_for(_rebuilder())),
        "integrator": Api(token_for(_integrator())),
    }
    for client in clients.values():  # as a real client meets it: CSRF checks included
        client.client.handler.enforce_csrf_checks = True
    assert not staff_user.has_perm(REBUILD)
    return {"ids": {k: str(v) for k, v in ids.items()}, "clients": clients}


def _integrator():
    user = get_user_model().objects.create_user("integrator", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    return user


def _rebuilder():
    """Staff holding the rebuild permission (created here if its migration is not in yet)."""
    permission, _ = Permission.objects.get_or_create(
        codename="rebuild_projection",
        content_type=ContentType.objects.get_for_model(ProjectionState),
        defaults={"name": "Can rebuild or retry a projection"},
    )
    user = get_user_model().objects.create_user("rebuilder", password="r-pass-13579", is_staff=True)
    user.user_permissions.add(permission)
    assert get_user_model().objects.get(pk=user.pk).has_perm(REBUILD)
    return user


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _request(client: Api, method: str, decision: Decision, ids: dict[str, str]):
    path = _fill(decision.path, ids)
    if decision.body is None:
        return client.client.generic(method, path)
    body = _fill(decision.body, ids)
    return client.client.generic(method, path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "route, name, method", ENDPOINTS, ids=[f"{m} /{r}" for r, _, m in ENDPOINTS]
)
def test_each_caller_gets_the_decided_status(scene, route, name, method, role):
    decision = MATRIX.get((name, method))
    assert decision is not None, (
        f"{method} /{route} ({name!r}) has no row in MATRIX: decide who may call it"
    )
    response = _request(scene["clients"][role], method, decision, scene["ids"])

    expected = decision.statuses[ROLES.index(role)]
    assert response.status_code == expected, response.content[:500]
    if expected in PROBLEM_CODES:
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == PROBLEM_CODES[expected]
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Token")
