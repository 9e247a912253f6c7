"""The read side's own admin pages: time travel, projection health, rebuild and retry.

Each is served by a ModelAdmin's ``get_urls`` behind ``admin_site.admin_view``
(active staff only, CSRF-checked) and checks its own permission: viewing needs the
model's view permission; Rebuild and Retry need ``projections.rebuild_projection``
and accept POST only, so a forged request from anyone else is refused (403).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.tasks import async_task

from eventstore.admin_views import timestamp, verification_status
from eventstore.subscriptions import skips
from orders import temporal
from orders.processes.health import is_process, retry_now, retry_parked, skip_parked
from projections import desk, event_catalog
from projections.admin import time_travel
from projections.admin.health_report import WINDOW, health_rows
from projections.engine import comparison, rebuilding
from projections.engine.projection import UnknownProjection, get
from projections.models import ProjectionState, RebuildDecision

REBUILD = "projections.rebuild_projection"
HANDLE_STUCK = "projections.handle_stuck_events"
REBUILD_TASK = "projections.engine.tasks.rebuild"
CATCH_UP_TASK = "projections.engine.tasks.catch_up"
TASK_PAGES = [
    ("Successful tasks", "success"),
    ("Failed tasks", "failure"),
    ("Queued tasks", "ormq"),
]

logger = logging.getLogger(__name__)


def post_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse anything but POST (405): Rebuild and Retry change what runs."""

    @wraps(view)
    def only_post(model_admin: ModelAdmin, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(model_admin, request, **kwargs)

    return only_post


def time_travel_page(model_admin: ModelAdmin, request: HttpRequest, order_id: UUID) -> Any:
    """The order at ``?version=N`` or ``?at=<date and time>`` (now when neither)."""
    _require_view(model_admin, request)
    row = model_admin.get_object(request, str(order_id))
    version, at = _version(request), _instant(request)
    try:
        moment = time_travel.order_at(order_id, version=version, at=at)
    except (temporal.NoSuchOrder, temporal.NoSuchVersion) as error:
        raise Http404(str(error)) from None
    except temporal.NotYet as error:
        began = timestamp(error.began)
        messages.warning(request, f"The order did not exist yet then; it began at {began}.")
        moment = time_travel.order_at(order_id, version=1)
    title = f"{moment.order.order_number} at version {moment.version}"
    context = {"title": title, "moment": moment, "row": row, "order_id": order_id, "at": at}
    context["zone"] = timezone.get_current_timezone_name()
    return _render(model_admin, request, "projections/admin/time_travel.html", context)


def health_page(model_admin: ModelAdmin, request: HttpRequest) -> TemplateResponse:
    """Every projection's state, checkpoint, lag, throughput and last error."""
    _require_view(model_admin, request)
    rows = health_rows()
    context = {
        "title": "Projection health",
        "rows": rows,
        "head": rows[0].status.head if rows else None,
        "can_rebuild": request.user.has_perm(REBUILD),
        "refresh": any(row.status.rebuild is not None for row in rows),
        "task_pages": _task_pages(request),
        "window_minutes": round(WINDOW.total_seconds() / 60),
        "verification": verification_status(),
    }
    return _render(model_admin, request, "projections/admin/health.html", context)


def event_catalog_page(model_admin: ModelAdmin, request: HttpRequest) -> TemplateResponse:
    """Every event type (projections/event_catalog.py); ``?dry_run=TYPE`` runs that
    type's upcasters over its stored events, writing nothing."""
    _require_view(model_admin, request)
    counts = event_catalog.stored_counts()
    wanted = request.GET.get("dry_run", "")
    types = event_catalog.catalog()
    if wanted and wanted not in {t.name for t in types}:
        raise Http404(f"no event type {wanted!r}")
    entries = [
        {
            "type": t,
            "stored": sorted(counts.get(t.name, {}).items()),
            "sample": json.dumps(event_catalog.sample(t.name), default=str, indent=1)
            if counts.get(t.name)
            else "",
        }
        for t in types
    ]
    context = {
        "title": "Event catalog",
        "is_nav_sidebar_enabled": False,  # the table needs the width
        "entries": entries,
        "dry_run": next(iter(event_catalog.dry_run([wanted])), None) if wanted else None,
    }
    return _render(model_admin, request, "projections/admin/event_catalog.html", context)


def desk_page(model_admin: ModelAdmin, request: HttpRequest) -> TemplateResponse:
    """The dead-letter desk: every stuck item, with Retry and Skip for permitted staff."""
    _require_view(model_admin, request)
    context = {
        "title": "Dead-letter desk",
        "items": desk.stuck(),
        "can_handle": request.user.has_perm(HANDLE_STUCK),
        "threshold_minutes": round(desk.threshold().total_seconds() / 60),
        "is_nav_sidebar_enabled": False,
    }
    return _render(model_admin, request, "projections/admin/desk.html", context)


@post_only
def desk_retry(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponseRedirect:
    """Try a stuck item again now: a projection's failing event, or a process's parked work."""
    _require_handle_stuck(request)
    reader, key = request.POST.get("reader", ""), request.POST.get("key", "")
    if is_process(reader):
        if not retry_parked(reader, key):
            raise Http404(f"no parked work {key!r} of {reader!r}")
        messages.success(request, f"Retry of “{reader}” {key} queued.")
        return redirect(_desk_url())
    if not ProjectionState.objects.filter(name=reader, error_position__isnull=False).update(
        retry_at=None
    ):
        raise Http404(f"no stuck projection {reader!r}")
    _enqueue(request, CATCH_UP_TASK, reader, f"Retry of “{reader}” queued.")
    return redirect(_desk_url())


@post_only
def desk_skip(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponseRedirect:
    """Pass a stopped projection over the event it fails on, with a reason, for good:
    later rebuilds pass over it too (eventstore/subscriptions/skips.py)."""
    _require_handle_stuck(request)
    reader, reason = request.POST.get("reader", ""), request.POST.get("reason", "").strip()
    if is_process(reader):
        return _skip_parked(request, reader, request.POST.get("key", ""), reason)
    with transaction.atomic():
        state = ProjectionState.objects.select_for_update().filter(name=reader).first()
        if state is None or state.error_position is None:
            raise Http404(f"no stuck projection {reader!r}")
        if not reason:
            messages.error(request, "A skip needs a reason.")
            return redirect(_desk_url())
        skips.skip(reader, state.error_position, reason=reason, by=request.user.get_username())
        state.retry_at = None
        state.save(update_fields=["retry_at"])
    _enqueue(request, CATCH_UP_TASK, reader, f"“{reader}” skips event {state.error_position}.")
    return redirect(_desk_url())


def _skip_parked(request: HttpRequest, reader: str, key: str, reason: str) -> HttpResponseRedirect:
    """A process passes over its parked step for an order, recorded like a projection's
    skip (who, when, why) on the event's page."""
    if not reason:
        messages.error(request, "A skip needs a reason.")
        return redirect(_desk_url())
    with transaction.atomic():
        skipped = skip_parked(reader, key)
        if skipped is None:
            raise Http404(f"no parked work {key!r} of {reader!r}")
        skips.skip(reader, skipped.position, reason=reason, by=request.user.get_username())
    messages.success(request, f"“{reader}” skips event {skipped.position} of {key}.")
    return redirect(_desk_url())


@post_only
def rebuild(model_admin: ModelAdmin, request: HttpRequest, name: str) -> HttpResponseRedirect:
    """Enqueue the django-q2 ``rebuild`` task: the projection is rebuilt beside its rows."""
    _require_rebuild(request)
    try:
        get(name)
    except UnknownProjection:  # subscribers (process managers) have no rows to rebuild
        raise Http404(f"no projection {name!r} to rebuild") from None
    state = ProjectionState.objects.filter(name=name).first()
    verify = request.POST.get("verify") == "on"
    if state is not None and state.rebuilding:
        messages.info(request, f"“{name}” is being rebuilt already.")
    elif verify:
        done = f"Verified rebuild of “{name}” queued: it goes live only if nothing differs."
        _enqueue(request, REBUILD_TASK, name, done, True)
    else:
        _enqueue(request, REBUILD_TASK, name, f"Rebuild of “{name}” queued.")
    return redirect(_health_url())


def rebuild_review(model_admin: ModelAdmin, request: HttpRequest, name: str) -> TemplateResponse:
    """A held verified rebuild: what differs from the live rows (compared again now),
    and, for holders of projections.rebuild_projection, Switch and Discard."""
    _require_view(model_admin, request)
    state = ProjectionState.objects.filter(name=name).first()
    if state is None or state.rebuild_held_at is None or state.rebuild_generation is None:
        raise Http404(f"no rebuild of {name!r} is waiting for a decision")
    found = comparison.compare(get(name), state.generation, state.rebuild_generation)
    context = {
        "title": f"Review the rebuild of {name}",
        "name": name,
        "state": state,
        "comparison": _as_text(found.as_json()),
        "can_rebuild": request.user.has_perm(REBUILD),
        "decisions": RebuildDecision.objects.filter(projection=name)[:10],
    }
    return _render(model_admin, request, "projections/admin/rebuild_review.html", context)


def _as_text(comparison: dict[str, Any]) -> dict[str, Any]:
    """The comparison with each sampled cell as JSON text (a dict reads as JSON, not
    as Python's repr)."""

    def text(value: Any) -> Any:
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value

    for table in comparison["tables"]:
        samples = table["samples"]
        for row in samples["changed"]:
            row["columns"] = {c: [text(old), text(new)] for c, (old, new) in row["columns"].items()}
        for kind in ("added", "removed"):
            samples[kind] = [json.dumps(row, ensure_ascii=False) for row in samples[kind]]
    return comparison


@post_only
def rebuild_decide(model_admin: ModelAdmin, request: HttpRequest, name: str) -> HttpResponse:
    """Switch to a held rebuild or discard it; recorded with who and when."""
    _require_rebuild(request)
    decision = request.POST.get("decision")
    try:
        generation = int(request.POST.get("generation", ""))
    except ValueError:
        return HttpResponseBadRequest("generation must be a number")
    if decision not in (RebuildDecision.SWITCH, RebuildDecision.DISCARD):
        return HttpResponseBadRequest("decision must be switch or discard")
    try:
        rebuilding.decide(name, generation, decision, request.user.get_username())
    except rebuilding.NotHeld as error:
        messages.warning(request, str(error))
    else:
        done = "is live" if decision == RebuildDecision.SWITCH else "was discarded"
        messages.success(request, f"Generation {generation} of “{name}” {done}.")
    return redirect(_health_url())


@post_only
def retry(model_admin: ModelAdmin, request: HttpRequest, name: str) -> HttpResponseRedirect:
    """Try a failed projection's (or subscriber's) event again now, not after its backoff."""
    _require_rebuild(request)
    if is_process(name):  # the write side's own row and task
        if not retry_now(name):
            raise Http404(f"no projection {name!r} has run yet")
        messages.success(request, f"Retry of “{name}” queued.")
        return redirect(_health_url())
    if not ProjectionState.objects.filter(name=name).update(retry_at=None):
        raise Http404(f"no projection {name!r} has run yet")
    _enqueue(request, CATCH_UP_TASK, name, f"Retry of “{name}” queued.")
    return redirect(_health_url())


def _enqueue(request: HttpRequest, task: str, name: str, done: str, *args: Any) -> None:
    """Enqueue ``task(name, *args)`` once the request's writes commit (at once in
    autocommit)."""

    def send() -> None:
        try:
            async_task(task, name, *args, group="projections")
        except Exception as error:  # a broker that is down: say so, the page still answers
            logger.exception("could not enqueue %s(%r)", task, name)
            messages.error(request, f"Could not queue {task}: {error}")

    messages.success(request, done)
    transaction.on_commit(send)


def _require_view(model_admin: ModelAdmin, request: HttpRequest) -> None:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _require_handle_stuck(request: HttpRequest) -> None:
    if not request.user.has_perm(HANDLE_STUCK):
        raise PermissionDenied


def _desk_url() -> str:
    return reverse("admin:projections_desk")


def _require_rebuild(request: HttpRequest) -> None:
    if not request.user.has_perm(REBUILD):
        raise PermissionDenied


def _version(request: HttpRequest) -> int | None:
    value = request.GET.get("version", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise Http404(f"no version {value!r}") from None


def _instant(request: HttpRequest) -> dt.datetime | None:
    value = request.GET.get("at", "").strip()
    if not value:
        return None
    try:
        instant = parse_datetime(value)
    except ValueError:
        instant = None
    if instant is None:
        messages.warning(request, f"“{value}” is not a date and time; showing the latest version.")
        return None
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return instant


def _task_pages(request: HttpRequest) -> list[tuple[str, str]]:
    """django-q2's own admin pages this user may open."""
    pages = []
    for label, model in TASK_PAGES:
        if request.user.has_perm(f"django_q.view_{model}"):
            try:
                pages.append((label, reverse(f"admin:django_q_{model}_changelist")))
            except NoReverseMatch:  # the queue page exists with the ORM broker only
                pass
    return pages


def _health_url() -> str:
    return reverse("admin:projections_projectionstate_changelist")


def _render(
    model_admin: ModelAdmin, request: HttpRequest, template: str, context: dict[str, Any]
) -> TemplateResponse:
    opts = model_admin.model._meta
    base = {**model_admin.admin_site.each_context(request), "opts": opts}
    return TemplateResponse(request, template, base | context)
