"""The problem document in OpenAPI: its shape (``ProblemSerializer``, which both the
command and the query API name for their errors), and the post-processing that
documents the headers every API response carries and that every error under /api/
is ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

PROBLEM_JSON = "application/problem+json"
HEADERS = {
    "ETag": {
        "description": 'The stream version, quoted ("3"); send it back as If-Match.',
        "schema": {"type": "string"},
    },
    "X-Correlation-ID": {
        "description": "The request's correlation id.",
        "schema": {"type": "string", "format": "uuid"},
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
            if method != "post" or path.startswith("/api/auth/"):
                continue
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(HEADERS)
                if status == "201":
                    response["headers"]["Location"] = LOCATION
    return result


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
    """RFC 9457 problem details (application/problem+json)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
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
