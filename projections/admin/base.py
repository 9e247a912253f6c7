"""What every read-model admin shares: the active generation only, rows named by key.

A rebuild writes a new generation of rows beside the old one (``projections.engine.rebuilding``),
so a row's primary key changes with every rebuild and two generations may coexist.
The admin therefore lists only the generation queries read, and its URLs name a
row by its natural key (the order, customer or product id), which outlives
rebuilds. Nobody may add, change or delete a row: projections write them, from
events. A row's "history" is the stream of events that made it.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlencode
from uuid import UUID

from django.contrib.admin import ModelAdmin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from eventstore.admin import ReadOnlyModelAdmin
from eventstore.admin_views import stream_url
from projections.engine.freshness import read_view
from projections.models import ReadModel


def active_generation(projection: str) -> int:
    return read_view(projection).generation


def change_url(model: type[Model], key: Any) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[str(key)])


def changelist_url(model: type[Model], **filters: Any) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def events_url(stream_id: str) -> str:
    """The events list filtered to one stream."""
    return f"{reverse('admin:eventstore_event_changelist')}?{urlencode({'stream_id': stream_id})}"


def link(url: str, text: Any) -> SafeString:
    return format_html('<a href="{}">{}</a>', url, text)


def date_and_time(value: dt.datetime) -> SafeString:
    """The date, and the time below it: list columns stay narrow."""
    local = timezone.localtime(value)
    return format_html(
        '{}<div class="chronicle-quiet">{}</div>', f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
    )


def admin_urls(model_admin: ModelAdmin, *routes: tuple[str, Any, str]) -> list[URLPattern]:
    """``(route, view, name)`` as URL patterns for staff only; a view gets the admin first."""
    wrap = model_admin.admin_site.admin_view
    return [
        path(route, wrap(partial(view, model_admin)), name=name) for route, view, name in routes
    ]


class KeyedChangeList(ChangeList):
    """Rows link to whatever page their admin names for them (by key, not primary key)."""

    def url_for_result(self, result: Any) -> str:
        return self.model_admin.url_for(result)  # type: ignore[attr-defined, no-any-return]


class ReadModelAdmin(ReadOnlyModelAdmin):
    """Read-only admin over one projection's table, its active generation only."""

    projection: ClassVar[str]  # the projection whose generation is read
    stream_type: ClassVar[str]  # the stream type of the row's own events

    class Media:
        css = {"all": ("eventstore/admin.css", "projections/admin.css")}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        generation = active_generation(self.projection)
        return super().get_queryset(request).filter(generation=generation)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        try:
            key = UUID(str(object_id))
        except ValueError:
            return None
        return self.get_queryset(request).filter(**{self.model.key_field: key}).first()

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return KeyedChangeList

    def url_for(self, row: ReadModel) -> str:
        return change_url(self.model, key_of(row))

    def stream_of(self, row: ReadModel) -> str:
        return f"{self.stream_type}-{key_of(row)}"

    def object_links(self, row: ReadModel) -> list[tuple[str, str]]:
        """Buttons above a row's page: (label, URL)."""
        stream = self.stream_of(row)
        return [("Event stream", stream_url(stream)), ("Events", events_url(stream))]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context["object_links"] = self.object_links(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """A read-model row's history is its stream's events, not admin log entries."""
        row = self.get_object(request, object_id)
        if row is None:
            raise Http404(f"no {self.model._meta.verbose_name} {object_id}")
        if not self.has_view_permission(request, row):
            raise PermissionDenied
        return HttpResponseRedirect(stream_url(self.stream_of(row)))


def key_of(row: ReadModel) -> Any:
    return getattr(row, row.key_field)
