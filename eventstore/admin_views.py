"""The event store browser's own pages: one stream, one correlation.

``EventAdmin.get_urls`` serves them behind ``admin_site.admin_view`` (active staff
only), and each page also needs the event view permission. They only read. Data
and metadata are shown as stored: the JSON in the row, not upcast.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, QuerySet
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from eventstore import archive, shredding, verification
from eventstore.models import ArchivedStream, Event, Seal

PAGE_SIZE = 100


def pretty_json(value: Any) -> str:
    """Indented, keys sorted: PostgreSQL's jsonb keeps no key order, so sort on both backends."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def timestamp(value: dt.datetime, *, zone: bool = True) -> str:
    """To the millisecond, in the current time zone: one command's events share a second."""
    local = timezone.localtime(value)
    text = f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d}"
    return f"{text} {local:%Z}" if zone else text


def short_id(value: UUID) -> str:
    return str(value)[:8]


def short_stream(stream_id: str) -> str:
    """``order-e8ffbba9…`` for ``order-e8ffbba9-1028-…``: the type and the id's first
    eight characters; a short id (``stock-TEA-01``, ``cart-9``) stays whole."""
    kind, dash, rest = stream_id.partition("-")
    return f"{kind}-{rest[:8]}…" if dash and len(rest) > 12 else stream_id


def event_url(position: int) -> str:
    """The admin page of the event at ``position`` (the event's primary key)."""
    return reverse("admin:eventstore_event_change", args=[position])


def stream_url(stream_id: str) -> str:
    return reverse("admin:eventstore_event_stream", args=[stream_id])


def correlation_url(correlation_id: UUID) -> str:
    return reverse("admin:eventstore_event_correlation", args=[correlation_id])


def quiet(text: str) -> SafeString:
    return format_html('<span class="chronicle-quiet">{}</span>', text)


def event_link(event: Event) -> SafeString:
    return format_html(
        '<a href="{}">#{} {}</a> <span class="chronicle-quiet">in {} v{}</span>',
        event_url(event.position),
        event.pk,
        event.event_type,
        event.stream_id,
        event.version,
    )


def cause_html(event: Event, cause: Event | None) -> SafeString:
    """What caused ``event``: a link to the causing event, or what its causation id names."""
    if event.causation_id is None:
        return quiet("—")
    if cause is not None:
        return event_link(cause)
    if str(event.causation_id) == str(event.metadata.get("command_id")):
        what = "command"
    else:
        what = "not an event in the store:"
    return format_html(
        '<span class="chronicle-quiet">{}</span> <code title="{}">{}</code>',
        what,
        event.causation_id,
        short_id(event.causation_id),
    )


def revealed(events: list[Event]) -> list[dict[str, Any]]:
    """The events' data with personal fields decrypted, or "[erased]" (one key query)."""
    return shredding.reveal_data([(e.event_type, e.data) for e in events])


def events_by_id(event_ids: set[UUID]) -> dict[UUID, Event]:
    return {e.event_id: e for e in Event.objects.filter(event_id__in=event_ids)}


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as a browser page shows it."""

    event: Event
    url: str
    data: str
    cause: SafeString | None = None
    depth: int = 0

    @property
    def recorded(self) -> str:
        return timestamp(self.event.recorded_at)

    @property
    def indent(self) -> int:
        return 8 + 20 * min(self.depth, 10)


def verification_status(stream_id: str | None = None) -> dict[str, Any]:
    """The last verification covering the log (or one stream), its breaks (those of
    the stream), each with a link to its event, and the last seal."""
    run = verification.latest_run(stream_id)
    breaks = [] if run is None else run.found
    if stream_id is not None:
        breaks = [found for found in breaks if found["stream_id"] == stream_id]
    later = False
    if run is not None and stream_id is not None:
        later = Event.objects.filter(
            stream_id=stream_id, position__gt=run.up_to_position or 0
        ).exists()
    return {
        "run": run,
        "breaks": [
            {
                **found,
                "url": event_url(found["position"])
                if found["position"]
                else stream_url(found["stream_id"])
                if found["stream_id"]
                else "",
            }
            for found in breaks
        ],
        "later": later,
        "seal": Seal.objects.order_by("-number").first(),
    }


def stream_page(model_admin: ModelAdmin, request: HttpRequest, stream_id: str) -> TemplateResponse:
    """All events of one stream in version order."""
    _require_view_permission(model_admin, request)
    events: Any = Event.objects.filter(stream_id=stream_id).order_by("version")
    archived = None
    if not events.exists():
        archived = ArchivedStream.objects.filter(stream_id=stream_id).first()
        events = [_archived_event(row) for row in archive.stream_rows(stream_id)]
    summary = _summary(events)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page)
    rows = [
        EventRow(e, event_url(e.position), pretty_json(data))
        for e, data in zip(shown, revealed(shown), strict=True)
    ]
    context: dict[str, Any] = {"title": f"Stream {stream_id}", "crumb": f"Stream {stream_id}"}
    context |= {"summary": summary, "page": page, "rows": rows, "archived": archived}
    context["verification"] = verification_status(stream_id)
    return _render(model_admin, request, "eventstore/admin/stream.html", context)


def correlation_page(
    model_admin: ModelAdmin, request: HttpRequest, correlation_id: UUID
) -> TemplateResponse:
    """Every event of one correlation across streams, in position order, with causes."""
    _require_view_permission(model_admin, request)
    events = Event.objects.filter(correlation_id=correlation_id).order_by("position")
    summary = _summary(events)
    summary["streams"] = events.values("stream_id").distinct().count()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _causal_rows(list(page))
    context: dict[str, Any] = {
        "title": f"Correlation {correlation_id}",
        "crumb": f"Correlation {short_id(correlation_id)}",
        "given": _given(events),
    }
    context |= {"summary": summary, "page": page, "rows": rows}
    return _render(model_admin, request, "eventstore/admin/correlation.html", context)


def _given(events: Any) -> str:
    """The id the client sent, when it was not a UUID and the column holds its uuid5
    (the metadata key ``correlation_id_given``, written by the API's middleware)."""
    first = events.first()
    return str(first.metadata.get("correlation_id_given", "")) if first is not None else ""


def _causal_rows(events: list[Event]) -> list[EventRow]:
    """Rows indented one step deeper than their cause when the cause is on the page."""
    causes = events_by_id({e.causation_id for e in events if e.causation_id})
    depth: dict[UUID, int] = {}
    rows = []
    for event, data in zip(events, revealed(events), strict=True):
        cause = causes.get(event.causation_id) if event.causation_id else None
        level = depth[cause.event_id] + 1 if cause and cause.event_id in depth else 0
        depth[event.event_id] = level
        html = cause_html(event, cause)
        url = event_url(event.position)
        rows.append(EventRow(event, url, pretty_json(data), html, level))
    return rows


def _archived_event(row: tuple[Any, ...]) -> Event:
    """An archive segment's row (eventstore/archive.py) as an (unsaved) Event."""
    return Event(
        position=row[0],
        event_id=row[1],
        stream_id=row[2],
        stream_type=row[3],
        event_type=row[4],
        schema_version=row[5],
        data=json.loads(row[6]),
        metadata=json.loads(row[7]),
        version=row[8],
        recorded_at=row[9],
        correlation_id=row[10],
        causation_id=row[11],
        tx_id=row[12],
        chain_hash=row[13],
    )


def _summary(events: QuerySet[Event] | list[Event]) -> dict[str, Any]:
    if isinstance(events, list):  # an archived stream's (eventstore/archive.py)
        instants = [e.recorded_at for e in events]
        summary: dict[str, Any] = {"count": len(events), "first": min(instants, default=None)}
        summary["last"] = max(instants, default=None)
    else:
        summary = events.aggregate(
            count=Count("pk"), first=Min("recorded_at"), last=Max("recorded_at")
        )
    if not summary["count"]:
        raise Http404("No events match.")
    return summary | {"first": timestamp(summary["first"]), "last": timestamp(summary["last"])}


def _require_view_permission(model_admin: ModelAdmin, request: HttpRequest) -> None:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _render(
    model_admin: ModelAdmin, request: HttpRequest, template: str, context: dict[str, Any]
) -> TemplateResponse:
    opts = model_admin.model._meta
    base = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "app_label": opts.app_label,
    }
    return TemplateResponse(request, template, base | context)
