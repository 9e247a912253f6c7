"""OpenAPI post-processing: document the headers every API response carries."""

from __future__ import annotations

from typing import Any

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


def add_response_headers(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method != "post" or path.startswith("/api/auth/"):
                continue
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(HEADERS)
    return result
