"""The event store browser: a read-only admin over events and snapshots.

Nobody, superusers included, may add, change or delete an event or a snapshot
here; the admin offers no such button, URL or action and never tries (the event
table would refuse it anyway, see ``eventstore/guards.py``). Staff with the view
permission browse the events list, an event, a whole stream and a whole
correlation (the last two are pages in ``eventstore/admin_views.py``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, NoReturn
from uuid import UUID

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from eventstore import admin_views as pages
from eventstore.models import Event, Seal, Snapshot, VerificationRun
from eventstore.subscriptions import skips as skip_records


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Viewing only: no add, change, delete or action for anyone."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> NoReturn:
        raise PermissionDenied

    def delete_model(self, request: HttpRequest, obj: Model) -> NoReturn:
        raise PermissionDenied

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> NoReturn:
        raise PermissionDenied


@admin.register(Event)
class EventAdmin(ReadOnlyModelAdmin):
    list_display = ("position", "recorded", "stream", "version", "event_type", "correlation")
    list_display_links = ("position", "event_type")
    list_filter = ("stream_type", "event_type", ("recorded_at", admin.DateFieldListFilter))
    search_fields = ("stream_id", "event_id", "correlation_id")
    search_help_text = "Stream id (or part of it), event id or correlation id."
    ordering = ("-position",)
    list_per_page = 50
    show_full_result_count = False  # spares a COUNT(*) over the whole log
    fieldsets = (
        (None, {"fields": ("event_type", "schema_version", "recorded_ms", "position", "event_id")}),
        ("Stream", {"fields": ("stream", "stream_type", "version")}),
        ("Correlation and causation", {"fields": ("correlation_link", "causation", "caused")}),
        ("Skipped by readers", {"fields": ("skips",)}),
        (
            "Data (personal fields decrypted) and metadata",
            {"fields": ("data_json", "metadata_json")},
        ),
        ("Storage", {"fields": ("writing_transaction", "chain_hash"), "classes": ("collapse",)}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    class Media:
        css = {"all": ("eventstore/admin.css",)}

    def get_urls(self) -> list[URLPattern]:
        def page(view: Any) -> Any:
            return self.admin_site.admin_view(partial(view, self))

        stream, correlation = page(pages.stream_page), page(pages.correlation_page)
        return [
            path("stream/<path:stream_id>/", stream, name="eventstore_event_stream"),
            path(
                "correlation/<uuid:correlation_id>/",
                correlation,
                name="eventstore_event_correlation",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=f"Recorded at ({settings.TIME_ZONE})", ordering="recorded_at")
    def recorded(self, event: Event) -> str:
        return pages.timestamp(event.recorded_at, zone=False)

    @admin.display(description="Stream", ordering="stream_id")
    def stream(self, event: Event) -> SafeString:
        url, stream_id = pages.stream_url(event.stream_id), event.stream_id
        label = pages.short_stream(stream_id)
        return format_html('<a href="{}" title="{}">{}</a>', url, stream_id, label)

    @admin.display(description="Correlation")
    def correlation(self, event: Event) -> SafeString:
        return self._correlation(event.correlation_id, pages.short_id)

    @admin.display(description="Correlation")
    def correlation_link(self, event: Event) -> SafeString:
        return self._correlation(event.correlation_id, str)

    @admin.display(description="Caused by")
    def causation(self, event: Event) -> SafeString:
        cause = None
        if event.causation_id is not None:
            cause = Event.objects.filter(event_id=event.causation_id).first()
        return pages.cause_html(event, cause)

    @admin.display(description="Caused")
    def caused(self, event: Event) -> SafeString:
        if event.correlation_id is None:
            return pages.quiet("—")
        effects = Event.objects.filter(
            correlation_id=event.correlation_id, causation_id=event.event_id
        ).order_by("position")
        links = format_html_join(mark_safe("<br>"), "{}", ((pages.event_link(e),) for e in effects))
        return links or pages.quiet("nothing")

    @admin.display(description="Skips")
    def skips(self, event: Event) -> SafeString:
        """Readers that pass over this event by a staff decision (the dead-letter desk)."""
        found = skip_records.of_event(event.event_id)
        if not found:
            return pages.quiet("no reader skips it")
        return format_html_join(
            mark_safe("<br>"),
            "<strong>{}</strong> skips it: “{}” ({}, {})",
            ((s.reader, s.reason, s.skipped_by, pages.timestamp(s.skipped_at)) for s in found),
        )

    @admin.display(description="Recorded at")
    def recorded_ms(self, event: Event) -> str:
        return pages.timestamp(event.recorded_at)

    @admin.display(description="Writing transaction id")
    def writing_transaction(self, event: Event) -> str:
        return str(event.tx_id) if event.tx_id else "0 (SQLite serialises writers; no id kept)"

    @admin.display(description="Data")
    def data_json(self, event: Event) -> SafeString:
        return _json_block(pages.revealed([event])[0])

    @admin.display(description="Metadata")
    def metadata_json(self, event: Event) -> SafeString:
        return _json_block(event.metadata)

    @staticmethod
    def _correlation(correlation_id: UUID | None, label: Any) -> SafeString:
        if correlation_id is None:
            return pages.quiet("—")
        url = pages.correlation_url(correlation_id)
        return format_html(
            '<a href="{}" title="{}">{}</a>', url, correlation_id, label(correlation_id)
        )


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyModelAdmin):
    list_display = (
        "__str__",
        "stream",
        "version",
        "aggregate_type",
        "schema_version",
        "created_at",
    )
    list_filter = ("aggregate_type", "schema_version")
    search_fields = ("stream_id",)
    ordering = ("stream_id", "-version")
    fieldsets = (
        (None, {"fields": ("stream", "version", "aggregate_type", "schema_version", "created_at")}),
        ("State", {"fields": ("state_json",)}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    class Media:
        css = {"all": ("eventstore/admin.css",)}

    @admin.display(description="Stream")
    def stream(self, snapshot: Snapshot) -> SafeString:
        url = pages.stream_url(snapshot.stream_id)
        return format_html('<a href="{}">{}</a>', url, snapshot.stream_id)

    @admin.display(description="State")
    def state_json(self, snapshot: Snapshot) -> SafeString:
        return _json_block(snapshot.state)


@admin.register(Seal)
class SealAdmin(ReadOnlyModelAdmin):
    """The log's seals (eventstore/sealing.py), newest first."""

    list_display = ("number", "position", "streams", "events", "sealed_at", "seal_hash")
    ordering = ("-number",)
    fields = ("number", "position", "tx_id", "events", "sealed_at", "previous_hash", "seal_hash")
    readonly_fields = fields

    @admin.display(description="Streams sealed")
    def streams(self, seal: Seal) -> int:
        return len(seal.heads)


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyModelAdmin):
    """Each run of verify_events and the first break it found."""

    list_display = ("finished_at", "scope", "up_to_position", "events_checked", "outcome")
    list_filter = ("scope",)
    ordering = ("-finished_at",)
    fields = (
        "scope",
        "started_at",
        "finished_at",
        "up_to_position",
        "events_checked",
        "seals_checked",
        "breaks",
        "break_detail",
    )
    readonly_fields = fields

    @admin.display(description="Outcome")
    def outcome(self, run: VerificationRun) -> SafeString:
        if run.is_clean:
            return format_html("{}", "no break")
        return format_html(
            '<span class="chronicle-verification-break">{} break(s): {}</span>',
            run.breaks,
            run.break_detail,
        )

    class Media:
        css = {"all": ("eventstore/admin.css",)}


def _json_block(value: Any) -> SafeString:
    return format_html('<pre class="chronicle-json">{}</pre>', pages.pretty_json(value))
