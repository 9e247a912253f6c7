"""Traces: a span per request, command, append and projection batch, in one trace with
the client's traceparent; the trace id is the correlation id and is kept in the
events' metadata. Recorded here with the SDK's in-memory exporter."""

from __future__ import annotations

from uuid import UUID

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

from config import tracing
from eventstore.models import Event
from projections.engine import runner
from tests.webhooks import receiver as receivers
from webhooks import registration, tasks

pytestmark = pytest.mark.django_db

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


class Switch(Sampler):
    """Samples only while a test of this module runs: the global provider stays for
    the session (it is set once), and other tests record no trace."""

    on = False

    def should_sample(
        self, parent_context, trace_id, name, kind=None, attributes=None, links=None, **kwargs
    ) -> SamplingResult:
        decision = Decision.RECORD_AND_SAMPLE if self.on else Decision.DROP
        return SamplingResult(decision, attributes)

    def get_description(self) -> str:
        return "on while tests/api/test_tracing.py runs"


@pytest.fixture(scope="session")
def exporter():
    found, switch = InMemorySpanExporter(), Switch()
    provider = TracerProvider(sampler=switch)
    provider.add_span_processor(SimpleSpanProcessor(found))
    trace.set_tracer_provider(provider)
    return found, switch


@pytest.fixture
def spans(exporter):
    found, switch = exporter
    DjangoInstrumentor().instrument()
    found.clear()
    switch.on = True
    yield found
    switch.on = False
    DjangoInstrumentor().uninstrument()
    found.clear()


def test_a_command_over_http_is_one_trace_from_the_clients_traceparent(spans, staff):
    response = staff.post(
        "/api/products/", {"sku": "T-1", "name": "Traced", "price": "1.00"}, traceparent=TRACEPARENT
    )
    assert response.status_code == 201, response.content
    finished = {span.name: span for span in spans.get_finished_spans()}
    command, append = finished["command AddProduct"], finished["eventstore.append"]
    request = next(s for s in finished.values() if s.attributes.get("http.method") == "POST")
    assert {format(s.context.trace_id, "032x") for s in (command, append, request)} == {TRACE_ID}
    assert command.parent.span_id == request.context.span_id
    assert append.parent.span_id == command.context.span_id
    # The trace id is the correlation id: the admin's correlation page is the trace's.
    assert response["X-Correlation-ID"] == str(UUID(TRACE_ID))
    event = Event.objects.get(stream_id=f"product-{response.json()['id']}")
    assert event.correlation_id == UUID(TRACE_ID)
    assert event.metadata["trace_id"] == TRACE_ID
    assert command.attributes["chronicle.correlation_id"] == str(UUID(TRACE_ID))


def test_a_given_correlation_id_wins_and_the_trace_id_is_still_kept(spans, staff):
    response = staff.post(
        "/api/products/",
        {"sku": "T-2", "name": "Traced", "price": "1.00"},
        traceparent=TRACEPARENT,
        **{"X-Correlation-ID": "checkout-77"},
    )
    assert response["X-Correlation-ID"] == "checkout-77"
    event = Event.objects.get(stream_id=f"product-{response.json()['id']}")
    assert event.metadata["trace_id"] == TRACE_ID
    assert event.metadata["correlation_id_given"] == "checkout-77"


@pytest.mark.parametrize(
    "header",
    ["", "garbage", f"ff-{TRACE_ID}-00f067aa0ba902b7-01", f"00-{'0' * 32}-00f067aa0ba902b7-01"],
)
def test_an_invalid_traceparent_leaves_the_correlation_id_new(spans, staff, header):
    response = staff.post(
        "/api/products/", {"sku": "T-3", "name": "Traced", "price": "1.00"}, traceparent=header
    )
    assert response["X-Correlation-ID"] != str(UUID(TRACE_ID))
    UUID(response["X-Correlation-ID"])


def test_each_projection_batch_is_a_span(spans, staff):
    staff.post("/api/products/", {"sku": "T-4", "name": "Traced", "price": "1.00"})
    spans.clear()
    while runner.advance(max_batches=10).behind:
        pass
    batches = [s for s in spans.get_finished_spans() if s.name == "projection batch"]
    catalog = [s for s in batches if s.attributes["chronicle.projection"] == "catalog"]
    assert catalog and catalog[0].attributes["chronicle.events"] >= 1


def test_each_webhook_delivery_is_a_span_that_names_the_event_and_its_trace(spans, staff, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    target, server = receivers.start()
    try:
        subscription, target.secret = registration.register(target_url=target.url)
        response = staff.post(
            "/api/products/", {"sku": "T-5", "name": "Hooked", "price": "1.00"},
            traceparent=TRACEPARENT,
        )  # fmt: skip
        spans.clear()
        tasks.deliver(str(subscription.pk))
    finally:
        server.shutdown()
        server.server_close()
    (delivery,) = [s for s in spans.get_finished_spans() if s.name == "webhook deliver"]
    event = Event.objects.get(stream_id=f"product-{response.json()['id']}")
    assert delivery.attributes["chronicle.event_id"] == str(event.event_id)
    assert delivery.attributes["chronicle.event_trace_id"] == TRACE_ID
    assert delivery.attributes["chronicle.correlation_id"] == str(UUID(TRACE_ID))
    assert delivery.attributes["http.response.status_code"] == 200
    # The receiver is handed the delivery's own trace context.
    (received,) = target.received
    assert received.headers["traceparent"].split("-")[2] == format(delivery.context.span_id, "016x")
    assert received.signature_ok


def test_tracing_is_off_unless_the_environment_asks(monkeypatch):
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert tracing.configure() is False
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert tracing.configure() is False
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "carrier-pigeon")
    with pytest.raises(ValueError, match="unknown exporter"):
        tracing.configure()


def test_an_unsampled_trace_leaves_no_trace_id_in_the_events(exporter, staff):
    _, switch = exporter
    assert not switch.on
    response = staff.post(
        "/api/products/",
        {"sku": "T-5", "name": "Untraced", "price": "1.00"},
        traceparent=TRACEPARENT,
    )
    event = Event.objects.get(stream_id=f"product-{response.json()['id']}")
    assert "trace_id" not in event.metadata
