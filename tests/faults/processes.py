"""Real processes for the fault tests: django-q2 clusters and gunicorn, on loopback.

Each process runs in a session of its own, so stopping it stops its children (the
cluster's workers, gunicorn's workers) too, and writes to a log file that a failing
assertion shows.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
FAULT_VARIABLES = (
    "REDIS_URL",
    "FAULTS_Q_QUEUE",
    "FAULTS_REBUILD_BATCH_SIZE",
    "CHRONICLE_FAULT_BLOCK_AT",
    "CHRONICLE_FAULT_FLAG",
    "CHRONICLE_FAULT_PROJECTION",
)


def database_url(name: str | None = None, **options: str) -> str:
    """A URL of the test database (pytest-django's, a real one on PostgreSQL)."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    where = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{db['USER']}{password}@{where}/{name or db['NAME']}{query}"


def environment(url: str, **extra: str) -> dict[str, str]:
    """What a started process sees: the test's database, no inherited fault or broker knobs."""
    env = {name: value for name, value in os.environ.items() if name not in FAULT_VARIABLES}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="tests.faults.worker_settings",
        Q_SYNC="0",
        Q_WORKERS="1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


@dataclass
class Process:
    popen: subprocess.Popen
    log: Path

    def output(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM the session; qcluster can hang on it, so SIGKILL after 10 s."""
        for sig, patience in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.popen.pid, sig)
                self.popen.wait(patience)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


def start(command: list[str], env: dict[str, str], log: Path) -> Process:
    with log.open("ab") as out:
        popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(popen, log)


def qcluster(env: dict[str, str], log: Path) -> Process:
    return start([sys.executable, "manage.py", "qcluster"], env, log)


def wait_until_running(cluster: Process, seconds: float = 60) -> None:
    """Until the qcluster says it runs: its sentinel has started all of its processes."""
    try:
        wait_until(lambda: "running." in cluster.log.read_text(errors="replace"), seconds, "")
    except AssertionError:
        raise AssertionError(f"the cluster did not start\n{cluster.output()}") from None


def gunicorn(env: dict[str, str], port: int, log: Path, workers: int = 2) -> Process:
    """gunicorn on 127.0.0.1:``port``, answering once this returns."""
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--worker-class", "gthread", "--workers", str(workers), "--threads", "4"]
    server = start(command, env, log)
    try:
        wait_until(lambda: _answers(port), 60, "gunicorn to listen")
    except AssertionError:
        server.stop()
        raise AssertionError(server.output()) from None
    return server


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settles(condition: Callable[[], object], seconds: float) -> bool:
    """Whether ``condition`` holds within ``seconds`` (polled every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    if not settles(condition, seconds):
        raise AssertionError(f"gave up after {seconds} s waiting for {what}")
