"""OpenTelemetry traces, off unless the standard ``OTEL_*`` environment asks for them.

``OTEL_TRACES_EXPORTER`` names the exporters (``otlp``, ``console``; ``none``, the
default, keeps tracing off); ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES`` and
``OTEL_EXPORTER_OTLP_*`` are read by the SDK itself. Once on: a span per request
(the Django instrumentation) and per SQL statement (psycopg's), and Chronicle's own
per command, per append and per projection batch (``tracer``). An incoming W3C
``traceparent`` becomes the correlation id when no ``X-Correlation-ID`` is sent
(config/correlation.py), and every event records its trace id in its metadata, so a
trace and the admin's correlation page lead to each other.
"""

from __future__ import annotations

import os

from opentelemetry import trace

tracer = trace.get_tracer("chronicle")


def configure() -> bool:
    """Install the SDK and the instrumentations if the environment asks; whether it did."""
    names = [
        name.strip()
        for name in os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",")
        if name.strip() and name.strip() != "none"
    ]
    if not names or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = TracerProvider(resource=Resource.create())
    for name in names:
        if name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER: unknown exporter {name!r} (otlp, console)")
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument()
    return True


def current_trace_id() -> str | None:
    """The running span's trace id (32 hex digits), if a trace is being recorded."""
    context = trace.get_current_span().get_span_context()
    sampled = context.is_valid and context.trace_flags.sampled
    return format(context.trace_id, "032x") if sampled else None
