"""``GET /healthz``: is the database reachable, and how far behind is each projection."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projections import desk
from projections.api import serializers as out
from projections.engine.status import projection_statuses

logger = logging.getLogger(__name__)


class HealthApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Health: database reachability and projection lag (no authentication)",
        description="The database's reachability with each projection's state and lag in "
        "events and seconds; 503 when the database cannot be reached. Never an error's "
        "text: staff read that in the admin.",
        responses={
            200: out.HealthOut,
            503: OpenApiResponse(out.HealthOut, description="The database cannot be reached."),
        },
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        try:
            statuses = projection_statuses()
            stuck = desk.overdue_count()
        except DatabaseError:
            logger.exception("health check: database unreachable")
            down = {"status": "unavailable", "database": "unreachable"}
            return Response(out.HealthOut(down).data, status=503)
        body = {"status": "ok", "database": "ok", "projections": statuses, "stuck": stuck}
        return Response(out.HealthOut(body).data)
