"""The write side's metrics (Prometheus; served at /metrics by config/metrics.py):
commands handled, by type and outcome, and how long they took."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

from orders.errors import DomainError

COMMANDS = Counter(
    "chronicle_commands",
    "Commands handled, by type and outcome (ok, the refusal's code, or error).",
    ["command", "outcome"],
)
COMMAND_SECONDS = Histogram(
    "chronicle_command_seconds",
    "Seconds to handle a command, its retries included.",
    ["command"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


@contextmanager
def measured(command: str) -> Iterator[None]:
    """Count and time one command: ok, refused (by its refusal's code), or error."""
    outcome = "ok"
    started = time.perf_counter()
    try:
        yield
    except DomainError as refusal:
        outcome = refusal.code
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        COMMANDS.labels(command, outcome).inc()
        COMMAND_SECONDS.labels(command).observe(time.perf_counter() - started)
