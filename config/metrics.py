"""``/metrics``: Chronicle's metrics in the Prometheus text format.

Counters and histograms (commands, appends, batches; Django's requests through
django-prometheus) are kept where they happen. With several gunicorn workers (or
django-q2 worker processes on the same host) each process writes its own values
into ``PROMETHEUS_MULTIPROC_DIR``, prometheus-client's multiprocess mode, and a scrape
adds them up; ``config/gunicorn.py`` marks a dead worker's files. Lag, rebuild
progress and stuck items are read from the database at scrape time
(``projections.metrics.ReadSideCollector``), so any host tells the same.

Who may scrape: a staff session, or ``Authorization: Bearer <CHRONICLE_METRICS_TOKEN>``
(the Prometheus server's way in). Anyone else gets a 401.
"""

from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from projections.metrics import ReadSideCollector


def metrics(request: HttpRequest) -> HttpResponse:
    if not _may_scrape(request):
        return HttpResponse(
            "metrics need a staff login or the metrics token\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    scrape_time = CollectorRegistry()
    scrape_time.register(ReadSideCollector())
    body = generate_latest(_kept()) + generate_latest(scrape_time)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _kept() -> CollectorRegistry:
    """This process's values, or every process's on this host in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def _may_scrape(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
