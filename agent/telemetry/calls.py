"""Spans and metrics of the calls inside a turn: one chat model call, one tool call.

Used by the graph's nodes (:mod:`agent.graph`), under the turn's span (:mod:`agent.telemetry.turns`).
A failed call's span gets an error status with the error's type only: error texts may quote
arguments or cluster output.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Status, StatusCode

from agent.telemetry.metrics import metrics_for
from agent.telemetry.tracing import span as start_span

if TYPE_CHECKING:
    from agent.runtime import Runtime


@dataclass
class Outcome:
    """What a block says about its call: ``ok`` false (with ``error_type``) marks it failed."""

    ok: bool = True
    error_type: str | None = None
    span: Any = None

    def failed(self, error_type: str) -> None:
        self.ok, self.error_type = False, error_type

    def usage(self, response: Any) -> None:
        """The token counts a model reported, on the model call's span."""
        reported = getattr(response, "usage_metadata", None)
        if reported and self.span is not None:
            self.span.set_attribute("gen_ai.usage.input_tokens", int(reported.get("input_tokens") or 0))
            self.span.set_attribute("gen_ai.usage.output_tokens", int(reported.get("output_tokens") or 0))


@contextmanager
def model_call(runtime: Runtime) -> Iterator[Outcome]:
    """``chat {model}``: one call of the chat model, timed; the block marks a failure it caught."""
    model = runtime.settings.model
    outcome = Outcome()
    metrics = metrics_for(runtime)
    started = time.perf_counter()
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
    with start_span(f"chat {model}", attributes) as span:
        outcome.span = span
        try:
            yield outcome
        except BaseException as exc:
            outcome.failed(type(exc).__name__)
            raise
        finally:
            metrics.model_seconds.observe(time.perf_counter() - started)
            metrics.model_calls.labels("ok" if outcome.ok else "error").inc()
            _close(span, outcome)


@contextmanager
def tool_call(runtime: Runtime, name: str, call_id: str, *, mutating: bool) -> Iterator[Outcome]:
    """``execute_tool {name}``: one tool call, timed and counted by tool and outcome."""
    outcome = Outcome()
    metrics = metrics_for(runtime)
    started = time.perf_counter()
    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.call.id": call_id,
        "portal_agent.tool.mutating": mutating,
    }
    with start_span(f"execute_tool {name}", attributes) as span:
        outcome.span = span
        try:
            yield outcome
        except BaseException as exc:
            outcome.failed(type(exc).__name__)
            raise
        finally:
            metrics.tool_seconds.labels(name).observe(time.perf_counter() - started)
            metrics.tool_calls.labels(name, "ok" if outcome.ok else "error").inc()
            if not outcome.ok:
                metrics.tool_errors.labels(name).inc()
            _close(span, outcome)


def _close(span: Any, outcome: Outcome) -> None:
    if not outcome.ok:
        span.set_attribute("error.type", outcome.error_type or "error")
        span.set_status(Status(StatusCode.ERROR, outcome.error_type))
