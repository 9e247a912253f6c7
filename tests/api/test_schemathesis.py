"""Property-based HTTP tests: schemathesis against the API's own OpenAPI schema.

The schema is read from ``/api/schema/`` through the WSGI app, in-process, so the
requests share the test's database. Every operation gets a bounded number of
generated requests (schema-valid and schema-violating, plus schemathesis' boundary
cases), with a fixed seed, as staff and as a customer, each operation against a
fresh shop. Every response must pass:

- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``: a documented status;
- ``content_type_conformance``: a documented media type (problem+json for errors);
- ``response_schema_conformance``: a body the schema describes.

No check is switched off and no operation is left out. (Schemathesis also sends
methods the schema does not list, which get 405: those probes are not held against
the schema by its conformance checks.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.api.conftest import token_for

SEED = 20250131
MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json",
    application,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # The test sends a real token; generated Authorization headers would only be 401s.
            "generation": {"max-examples": MAX_EXAMPLES, "with-security-parameters": False},
        }
    ),
)

bounded = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    # One shop per operation, shared by its examples, is the point of the fixture.
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(shop, alices_orders, settings):
    """The shop and Alice's orders of conftest.py; ids that exist, by parameter name."""
    # Nothing projects between generated requests, so min_position would wait in vain.
    settings.READ_YOUR_WRITES_TIMEOUT = 0
    with connection_kept():
        yield {
            "order_id": [alices_orders["pending"], alices_orders["ready"]],
            "customer_id": [str(shop["alice_id"])],
            "product_id": [str(shop["mug"]), str(shop["tea"])],
        }


@contextmanager
def connection_kept() -> Iterator[None]:
    """Requests go through the real WSGI handler, whose request signals close a connection
    that is inside a transaction: on PostgreSQL, the test's. Django's test client steps
    around them the same way (and puts them back after each of its requests, so this
    starts after the last of those)."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in signals:
            signal.connect(close_old_connections)


def aim(case: Any, known: dict[str, list[str]]) -> None:
    """Point three in four generated UUIDs (in the path and the body) at things that
    exist, so requests get past the 404s and 400s into the domain's rules. Which ones
    is decided by the generated value, so a run is as deterministic as its seed."""
    for name, value in list((case.path_parameters or {}).items()):
        case.path_parameters[name] = _pick(value, known.get(name))
    body = case.body if isinstance(case.body, dict) else {}
    items = body.get("items")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and "product_id" in item:
            item["product_id"] = _pick(item["product_id"], known["product_id"])
    for name in ("product_id", "customer_id"):
        if name in body:
            body[name] = _pick(body[name], known[name])


def _pick(value: Any, choices: list[str] | None) -> Any:
    if not choices or not isinstance(value, str):
        return value
    try:
        number = uuid.UUID(value).int
    except ValueError:
        return value
    return value if number % 4 == 0 else choices[number % len(choices)]


def _token(username: str) -> dict[str, str]:
    """A fresh token per example: a generated logout revokes the one it is sent with."""
    user = get_user_model().objects.get(username=username)
    return {"Authorization": f"Token {token_for(user)}"}


@schema.parametrize()
@bounded
def test_the_api_keeps_to_its_schema_for_staff(case, world):
    aim(case, world)
    case.call_and_validate(headers=_token("staff"), checks=CHECKS)


@schema.parametrize()
@bounded
def test_the_api_keeps_to_its_schema_for_a_customer(case, world):
    aim(case, world)
    case.call_and_validate(headers=_token("alice-login"), checks=CHECKS)
