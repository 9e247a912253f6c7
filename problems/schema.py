"""The problem document in OpenAPI: its shape (``ProblemSerializer``, which both the
command and the query API name for their errors), and the post-processing that
documents the headers every API response carries and that every error under /api/
is ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from problems.catalogue import CATALOGUE, ProblemType

PROBLEM_JSON = "application/problem+json"
# config/correlation.py's rule: any printable ASCII value up to 128 characters.
CORRELATION_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[ -~]+$"}
CORRELATION_PARAMETER = {
    "in": "header",
    "name": "X-Correlation-ID",
    "required": False,
    "schema": CORRELATION_SCHEMA,
    "description": "Ties every event of this request together: any printable ASCII value up "
    "to 128 characters, echoed as given. A UUID is stored as it is; any other value as a "
    "name-based UUID (uuid5), the value itself kept in the events' metadata as "
    "`correlation_id_given`. Longer or not printable: 400 `invalid_correlation_id`.",
}
CORRELATION_HEADER = {
    "description": "The request's X-Correlation-ID as given, else a new UUID.",
    "schema": {"type": "string"},
}
HEADERS = {
    "ETag": {
        "description": 'The stream version, quoted ("3"); send it back as If-Match.',
        "schema": {"type": "string"},
    },
}

LOCATION = {
    "description": "The created resource's read model with `?min_position=` the command's "
    "position, so following it reads your own write; an idempotent replay repeats it.",
    "schema": {"type": "string"},
}


def add_response_headers(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/api/"):
                _errors_are_problems(operation)
            _correlated(operation)
            if method != "post" or path.startswith("/api/auth/"):
                continue
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(HEADERS)
                if status == "201":
                    response["headers"]["Location"] = LOCATION
    return result


def _correlated(operation: dict[str, Any]) -> None:
    """Every endpoint reads X-Correlation-ID by one rule, echoes it on success, and
    may answer 400 ``invalid_correlation_id``."""
    parameters = operation.setdefault("parameters", [])
    parameters[:] = [p for p in parameters if p.get("name") != "X-Correlation-ID"]
    parameters.append(CORRELATION_PARAMETER)
    responses = operation.setdefault("responses", {})
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("headers", {})["X-Correlation-ID"] = CORRELATION_HEADER
    responses.setdefault(
        "400",
        {
            "description": "`invalid_correlation_id`: X-Correlation-ID is over 128 "
            "characters or not printable ASCII.",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )


def _errors_are_problems(operation: dict[str, Any]) -> None:
    """Errors under /api/ are problem documents, whatever media type a view declared."""
    for status, response in operation.get("responses", {}).items():
        content = response.get("content", {})
        if status[0] in "45" and "application/json" in content:
            content.setdefault(PROBLEM_JSON, content.pop("application/json"))


class ShortLineSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    name = serializers.CharField()
    requested = serializers.IntegerField(help_text="The quantity the order's line asks for.")
    available = serializers.IntegerField(help_text="What the stock could supply.")


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text="`/problems/<code>`: a page saying what the problem means and what to do."
    )
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What happened in this case, for people.")
    code = serializers.CharField(
        help_text="Stable, for programs: one of the codes listed at /problems/."
    )
    errors = serializers.ListField(child=serializers.DictField(), required=False)  # type: ignore[assignment]
    current_version = serializers.IntegerField(required=False)
    products = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="insufficient_stock: the names of the products short of stock.",
    )
    lines = ShortLineSerializer(
        many=True, required=False, help_text="insufficient_stock: each line short of stock."
    )


def _described(catalogue: tuple[ProblemType, ...]) -> str:
    """The Problem component's description: every problem type, linking its page."""
    rows = "\n".join(
        f"| {entry.status} | [`{entry.code}`]({entry.uri}) | {entry.title} |" for entry in catalogue
    )
    return (
        "RFC 9457 problem details (application/problem+json). `type` links the problem "
        "type's page ([every problem type](/problems/)):\n\n"
        f"| status | code | title |\n|---|---|---|\n{rows}"
    )


ProblemSerializer.__doc__ = _described(CATALOGUE)
