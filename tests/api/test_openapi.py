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


def _enum(schema, component: str, field: str) -> list:
    properties = schema["components"]["schemas"][component]["properties"]
    prop = properties[field]
    ref = prop.get("$ref") or next(
        (s["$ref"] for s in prop.get("allOf", []) + prop.get("oneOf", []) if "$ref" in s), None
    )
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"] if ref else prop["enum"]


def test_the_openapi_enumerations_are_exactly_the_upper_case_values(schema):
    assert _enum(schema, "OrderSummaryOut", "status") == ["PENDING", "PAID", "SHIPPED", "CANCELLED"]
    assert _enum(schema, "OrderSummaryOut", "fulfillment") == [
        "AWAITING_PAYMENT",
        "RESERVING",
        "READY_TO_SHIP",
        "SHIPPED",
        "REFUNDED",
    ]
    assert [v for v in _enum(schema, "OrderLineOut", "reservation") if v] == [
        "RESERVED",
        "RELEASED",
        "ISSUED",
    ]
    assert _enum(schema, "PaymentOut", "status") == ["UNPAID", "PAID", "REFUNDED"]
    assert _enum(schema, "StatusChangeOut", "status") == _enum(schema, "OrderSummaryOut", "status")
    assert [v for v in _enum(schema, "ShippingOut", "shipment_status") if v] == [
        "CREATED",
        "SHIPPED",
        "CANCELLED",
    ]
    parameters = {p["name"]: p for p in schema["paths"]["/api/orders/"]["get"]["parameters"]}
    for name in ("status", "fulfillment"):
        values = parameters[name]["schema"]["enum"]
        assert values and all(v == v.upper() for v in values)


def test_the_stale_header_is_documented_beside_the_position(schema):
    for path in ("/api/orders/", "/api/orders/{order_id}", "/api/products/{product_id}"):
        headers = schema["paths"][path]["get"]["responses"]["200"]["headers"]
        assert {"X-Projection-Position", "X-Projection-Stale"} <= set(headers)


def test_the_api_version_is_2(schema):
    assert schema["info"]["version"] == "2.3.0"


def test_the_created_responses_document_their_location(schema):
    for path in ("/api/orders/", "/api/products/", "/api/customers/"):
        assert "Location" in schema["paths"][path]["post"]["responses"]["201"]["headers"]
    assert "Location" not in schema["paths"]["/api/orders/{order_id}/pay"]["post"]["responses"][
        "200"
    ].get("headers", {})


def test_the_problem_document_describes_insufficient_stocks_lines(schema):
    components = schema["components"]["schemas"]
    problem = components["Problem"]["properties"]
    assert {"products", "lines"} <= set(problem)
    line = components[problem["lines"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(line["properties"]) == {"product_id", "name", "requested", "available"}


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
