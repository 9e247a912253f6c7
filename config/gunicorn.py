"""Production gunicorn configuration: ``gunicorn -c config/gunicorn.py``.

gunicorn does not defend against slow clients: a connection sending a byte a second
holds a worker thread for as long as it likes. Chronicle runs behind a buffering
reverse proxy (nginx, or a cloud load balancer) that reads each request in full
before passing it on, bounded by its own timeouts (README, "Production notes";
``config/nginx.conf.example``). These settings assume that proxy in front.

Environment: ``GUNICORN_BIND`` (default ``127.0.0.1:8000``, for a proxy on the same
host), ``WEB_CONCURRENCY`` (processes, default 2 per CPU + 1), ``GUNICORN_THREADS``
(per process, default 8), ``FORWARDED_ALLOW_IPS`` (the proxy's addresses, whose
``X-Forwarded-*`` headers gunicorn trusts; default ``127.0.0.1``).
"""

import multiprocessing
import os
import sys
from pathlib import Path

# The project root, so that ``config`` imports wherever gunicorn was started.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import request_limits  # noqa: E402

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threads, not async workers: Django and psycopg block. A thread per in-flight request.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))

# A worker silent this long is killed and replaced (a request stuck past django-q2's
# and the database's own timeouts); graceful restarts give requests as long to finish.
timeout = 30
graceful_timeout = 30
# Idle keep-alive connections from the proxy are closed after this.
keepalive = 5
# Recycle workers now and then, staggered, so a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500

# Above the middleware's limits (config/request_limits.py), so that a request between
# the two gets Django's 414/431 problem document instead of gunicorn's HTML page.
# 8190 is the largest request line gunicorn allows.
limit_request_line = min(2 * request_limits.MAX_REQUEST_LINE, 8190)
limit_request_field_size = 2 * request_limits.MAX_HEADER_FIELD_SIZE
limit_request_fields = 2 * request_limits.MAX_HEADER_FIELDS

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """A dead worker's metrics files (prometheus-client's multiprocess mode,
    config/metrics.py): its gauges stop counting; its counters stay summed in."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
