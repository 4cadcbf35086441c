"""What a server process sets up once, before it serves: its log format and its trace exporter."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.telemetry.logs import configure_logging
from agent.telemetry.tracing import configure_tracing

if TYPE_CHECKING:
    from contract.settings import Settings


def observe_process(settings: Settings) -> Callable[[], None]:
    """Configure logging and tracing from ``settings``; returns what flushes the last spans at exit."""
    configure_logging(settings)
    provider = configure_tracing(settings)
    return provider.shutdown if provider is not None else (lambda: None)
