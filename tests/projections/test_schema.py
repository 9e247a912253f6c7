"""Every query endpoint is in the OpenAPI schema, with its parameters and errors,
and the schema is valid and free of drf-spectacular warnings."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"
    validate_schema(generated)
    return generated


def operation(schema, path: str) -> dict:
    return schema["paths"][path]["get"]


def names(op: dict) -> set[str]:
    return {p["name"] for p in op.get("parameters", [])}


QUERY_PATHS = {
    "/api/orders/",
    "/api/orders/{order_id}",
    "/api/orders/{order_id}/history",
    "/api/orders/{order_id}/state",
    "/api/orders/{order_id}/events",
    "/api/customers/",
    "/api/customers/me",
    "/api/customers/{customer_id}",
    "/api/customers/{customer_id}/statistics",
    "/api/products/",
    "/api/products/{product_id}",
    "/api/products/{product_id}/stock",
    "/api/stock/",
    "/api/events/",
    "/healthz",
    # Not read models: the webhook subscriptions (webhooks/api.py), read by their managers.
    "/api/webhooks/",
    "/api/webhooks/{subscription_id}",
}


def test_every_query_path_is_documented_as_the_contract_writes_it(schema):
    documented = {path for path, ops in schema["paths"].items() if "get" in ops}
    assert documented == QUERY_PATHS


def test_the_order_list_documents_filters_paging_and_read_your_writes(schema):
    op = operation(schema, "/api/orders/")
    assert names(op) >= {
        "status",
        "customer_id",
        "customer_email",
        "min_amount",
        "max_amount",
        "created_after",
        "created_before",
        "ordering",
        "page",
        "page_size",
        "min_position",
    }
    assert "X-Projection-Position" in op["responses"]["200"]["headers"]
    assert {"200", "400", "401", "404"} <= set(op["responses"])


def test_details_document_the_etag_and_state_its_parameters(schema):
    details = operation(schema, "/api/orders/{order_id}")
    assert {"ETag", "X-Projection-Position"} <= set(details["responses"]["200"]["headers"])
    assert names(operation(schema, "/api/orders/{order_id}/state")) == {
        "order_id",
        "as_of",
        "version",
        "X-Correlation-ID",  # every operation's
    }
    assert "403" in operation(schema, "/api/events/")["responses"]
    assert "503" in operation(schema, "/healthz")["responses"]


def test_the_state_documents_the_whole_order_as_it_was(schema):
    ok = operation(schema, "/api/orders/{order_id}/state")["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    components = schema["components"]["schemas"]
    state = components[ref]["properties"]
    assert {"items", "payment", "shipping", "shipping_address", "fulfillment"} <= set(state)
    item = components[state["items"]["items"]["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert {"product_name", "line_total"} <= set(item)
