import pytest

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"

COMMANDS = [
    "/api/customers/",
    "/api/customers/{customer_id}/change-email",
    "/api/products/",
    "/api/products/{product_id}/change-price",
    "/api/products/{product_id}/receive-stock",
    "/api/orders/",
    "/api/orders/{order_id}/items",
    "/api/orders/{order_id}/items/{product_id}/remove",
    "/api/orders/{order_id}/pay",
    "/api/orders/{order_id}/ship",
    "/api/orders/{order_id}/cancel",
]


@pytest.fixture
def schema(staff):
    response = staff.client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("path", COMMANDS)
def test_every_command_is_documented_with_its_errors_and_headers(schema, path):
    operation = schema["paths"][path]["post"]
    assert {"400", "401", "403", "404", "409", "412", "415", "422"} <= set(operation["responses"])
    assert "application/problem+json" in operation["responses"]["409"]["content"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert {"Idempotency-Key", "X-Correlation-ID"} <= headers
    success = next(code for code in operation["responses"] if code.startswith("2"))
    assert "ETag" in operation["responses"][success]["headers"]


def test_swagger_ui_is_served_from_this_server(staff):
    page = staff.client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()


def test_the_token_endpoint_documents_its_415(schema):
    responses = schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert "application/problem+json" in responses["415"]["content"]


def test_every_operation_documents_x_correlation_id_by_one_rule(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            (header,) = [p for p in operation["parameters"] if p["name"] == "X-Correlation-ID"]
            assert header["schema"]["maxLength"] == 128, (method, path)
            assert "format" not in header["schema"], (method, path)
            success = [r for code, r in operation["responses"].items() if code.startswith("2")]
            assert all("X-Correlation-ID" in r["headers"] for r in success), (method, path)
            assert PROBLEM in operation["responses"]["400"]["content"], (method, path)


def test_every_operation_has_a_summary_and_a_description(schema):
    bare = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not operation.get("summary") or not operation.get("description")
    ]
    assert not bare


def test_the_schema_links_the_problem_type_pages(schema):
    from problems.catalogue import CATALOGUE

    assert schema["externalDocs"]["url"] == "/problems/"
    problem = schema["components"]["schemas"]["Problem"]
    assert all(f"]({entry.uri})" in problem["description"] for entry in CATALOGUE)
    assert "/problems/<code>" in problem["properties"]["type"]["description"]
