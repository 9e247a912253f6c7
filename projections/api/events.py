"""The event-store (ES) query endpoints: always current, they ignore ``min_position``.

Same checks as every query: 401, 404 (an order you may not see does not exist),
403, then 400 for malformed parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eventstore.store import RecordedEvent
from projections.api import history
from projections.api import serializers as out
from projections.api.schema import ORDER_ID, problems
from projections.api.selectors import viewer_of

# "+02:00" arrives as " 02:00" when a client forgets to encode the "+".
_UNENCODED_PLUS = re.compile(r" (\d{2}:?\d{2})$")


class StateQuery(serializers.Serializer):
    as_of = serializers.CharField(required=False, help_text="ISO 8601 with an offset.")
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def validate_as_of(self, value: str) -> dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(_UNENCODED_PLUS.sub(r"+\1", value.strip()))
        except ValueError:
            raise serializers.ValidationError("not an ISO 8601 date and time") from None
        if moment.tzinfo is None:
            raise serializers.ValidationError("needs a UTC offset, e.g. 2025-01-31T12:00:00+01:00")
        return moment


class LogQuery(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class OrderHistoryApi(APIView):
    @extend_schema(
        summary="An order's status history (ES)",
        description="Each status the order took (PENDING, PAID, SHIPPED, CANCELLED) with the "
        "time and stream version of the event that set it, oldest first. Read from the "
        "event store, so always current; `min_position` does not apply.",
        parameters=[ORDER_ID],
        responses={200: out.StatusChangeOut(many=True), **problems(401, 404)},
        tags=["orders"],
    )
    def get(self, request: Request, order_id: str) -> Response:
        events = history.order_events(viewer_of(request.user), UUID(order_id))
        return Response(out.StatusChangeOut(history.status_history(events), many=True).data)


class OrderStateApi(APIView):
    @extend_schema(
        summary="An order as it was at an instant or a version (ES)",
        description="Replays the order's events recorded at or before `as_of` and/or up to "
        "`version`; without either, the current state. Before the order existed: 404. The "
        "whole order as it was, as the admin's time travel shows it: lines with the product "
        "names the order recorded, total, status and fulfillment, shipping address, payment, "
        "shipment, carrier and tracking number, cancel reason.",
        parameters=[ORDER_ID, StateQuery],
        responses={200: out.OrderStateOut, **problems(400, 401, 404)},
        tags=["orders"],
    )
    def get(self, request: Request, order_id: str) -> Response:
        history.order_events(viewer_of(request.user), UUID(order_id))  # 404 if not the viewer's
        query = _query(StateQuery, request)
        state = history.order_state(UUID(order_id), **query)
        return Response(out.OrderStateOut(state).data)


class OrderEventsApi(APIView):
    @extend_schema(
        summary="An order's events (ES)",
        description="The order's stream as recorded, oldest first: each event's type, "
        "version, global position, data, metadata and time. Read from the event store.",
        parameters=[ORDER_ID],
        responses={200: out.StreamEventOut(many=True), **problems(401, 404)},
        tags=["orders"],
    )
    def get(self, request: Request, order_id: str) -> Response:
        events = history.order_events(viewer_of(request.user), UUID(order_id))
        return Response(out.StreamEventOut(events, many=True).data)


class EventLogApi(APIView):
    @extend_schema(
        summary="The global event log in its safe read order (ES, staff)",
        description="Follow it with `after` = the `next_after` of the previous page (start at 0). "
        "Order is the store's safe read order, so a follower never skips an event that "
        "committed late.",
        parameters=[
            OpenApiParameter(
                "after", OpenApiTypes.INT, description="A position the log returned, or 0."
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1..1000, default 100."),
        ],
        responses={200: out.LogPageOut, **problems(400, 401, 403)},
        tags=["events"],
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_staff:
            raise PermissionDenied("only staff may read the event log")
        query = _query(LogQuery, request)
        events = history.log_page(query["after"], query["limit"])
        return Response(_page(request, events, query["after"], query["limit"]))


def _page(request: Request, events: list[RecordedEvent], after: int, limit: int) -> dict[str, Any]:
    next_after = events[-1].position if events else after
    next_url = request.build_absolute_uri(
        f"{request.path}?{urlencode({'after': next_after, 'limit': limit})}"
    )
    return {
        "results": out.LogEventOut(events, many=True).data,
        "next_after": next_after,
        "next": next_url,
    }
