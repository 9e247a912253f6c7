"""OpenAPI pieces the query views share (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from problems.schema import ProblemSerializer

MIN_POSITION = OpenApiParameter(
    "min_position",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="The `position` a command returned: wait (up to 2 s) until this read model "
    "has applied that event, then answer with whatever is there (`X-Projection-Stale` "
    "says whether it was reached).",
)
PROJECTION_POSITION = OpenApiParameter(
    "X-Projection-Position",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[200, 400, 404],
    description="Position of the last event the read model applied.",
)
PROJECTION_STALE = OpenApiParameter(
    "X-Projection-Stale",
    {"type": "string", "enum": ["true", "false"]},
    OpenApiParameter.HEADER,
    response=[200, 400, 404],
    description="`true` when `min_position` was given and the read model had not applied "
    "that event within the wait (or no such event exists): the answer may not show your "
    "write yet. `false` otherwise.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description='The order\'s stream version, e.g. "3": the token for If-Match on commands.',
)
READ_MODEL = [MIN_POSITION, PROJECTION_POSITION, PROJECTION_STALE]
READ_YOUR_WRITES = (
    "Read from a read model: pass a command's `position` as `min_position` to read your "
    "write; `X-Projection-Position` says how far the read model is, `X-Projection-Stale` "
    "whether it fell short of `min_position`."
)


def path_id(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH)


ORDER_ID, CUSTOMER_ID, PRODUCT_ID = (
    path_id("order_id"),
    path_id("customer_id"),
    path_id("product_id"),
)

_PROBLEM = OpenApiResponse(ProblemSerializer, description="application/problem+json")


def problems(*statuses: int) -> dict[int, Any]:
    """Error responses, all problem details."""
    return {status: _PROBLEM for status in statuses}
