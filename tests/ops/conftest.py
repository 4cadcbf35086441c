"""Fixtures for the operations tests: spans recorded in memory by the SDK's own exporter."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_EXPORTER = InMemorySpanExporter()


def _install() -> None:
    """One SDK provider for the process (OpenTelemetry allows setting it once), exporting to memory."""
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        current = TracerProvider()
        trace.set_tracer_provider(current)
    if not getattr(current, "_portal_agent_memory", False):
        current.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        current._portal_agent_memory = True  # type: ignore[attr-defined]


@pytest.fixture
def spans() -> InMemorySpanExporter:
    _install()
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()
