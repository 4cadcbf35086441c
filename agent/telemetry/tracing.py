"""OpenTelemetry traces: a span per turn, with a span per model call and per tool call under it.

Spans are made through the OpenTelemetry API, whose default provider records nothing: until
:func:`configure_tracing` installs an SDK provider (``telemetry_otlp_endpoint`` set), a span costs a
no-op object. Names and attributes follow the GenAI semantic conventions (``invoke_agent``,
``chat {model}``, ``execute_tool {tool}``, ``gen_ai.*``); no attribute holds a question, an answer
or tool arguments, which may carry personal data or secrets.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from contract.settings import Settings

log = logging.getLogger(__name__)

INSTRUMENTATION = "portal_agent"
AGENT_NAME = "portal-agent"


def tracer() -> trace.Tracer:
    """The project's tracer, from whichever provider is installed when it is asked for."""
    return trace.get_tracer(INSTRUMENTATION)


def span(name: str, attributes: dict[str, Any]) -> AbstractContextManager[trace.Span]:
    """``start_as_current_span``, or a non-recording span at no cost while no provider is installed.

    Every turn makes several spans; with tracing off (the default) the API's own no-op path still
    costs context switches per span, which the web path's per-question budget notices.
    """
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return nullcontext(trace.INVALID_SPAN)
    return tracer().start_as_current_span(name, attributes=attributes)


def otlp_provider(settings: Settings) -> TracerProvider | None:
    """A provider exporting spans over OTLP/gRPC to ``telemetry_otlp_endpoint``; None when unset.

    ``http://`` endpoints are plain gRPC, ``https://`` ones TLS. Spans are batched in a background
    thread, so a slow or absent collector never delays a turn; ``shutdown()`` flushes the last ones.
    """
    endpoint = settings.telemetry_otlp_endpoint
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": settings.telemetry_service_name}))
    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure_tracing(settings: Settings) -> TracerProvider | None:
    """Install :func:`otlp_provider` as the process's provider (nothing happens when it is None)."""
    provider = otlp_provider(settings)
    if provider is not None:
        trace.set_tracer_provider(provider)
        log.info("exporting traces over OTLP to %s", settings.telemetry_otlp_endpoint)
    return provider
