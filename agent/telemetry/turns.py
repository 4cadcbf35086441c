"""One turn's telemetry: its ``invoke_agent`` span, duration, first token, tokens and outcome.

:class:`AgentService` wraps every graph run of a turn in :class:`TurnTelemetry`; the model and tool
spans the graph makes inside it (:mod:`agent.graph`) become its children, because the span is the
current one while the graph runs (LangGraph copies the context into the threads it runs nodes in).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import AIMessage

from agent.budget import message_tokens
from agent.telemetry.metrics import metrics_for
from agent.telemetry.tracing import AGENT_NAME, span

if TYPE_CHECKING:
    from agent.runtime import Runtime

TurnKind = Literal["question", "decision", "recovery"]


class TurnTelemetry:
    """``with TurnTelemetry(runtime, "question", thread_id) as turn: … turn.token() … turn.finished(…)``.

    A turn that leaves the block without :meth:`finished` (an exception, a client that stopped
    reading) is counted with outcome ``error``.
    """

    def __init__(self, runtime: Runtime, kind: TurnKind, thread_id: str):
        self.metrics = metrics_for(runtime)
        self.kind = kind
        self.thread_id = thread_id
        self.outcome = "error"
        self._started = 0.0
        self._first_token = False
        self._span_cm: Any = None
        self.span: Any = None

    def __enter__(self) -> TurnTelemetry:
        self._started = time.perf_counter()
        self._span_cm = span(
            f"invoke_agent {AGENT_NAME}",
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": AGENT_NAME,
                "gen_ai.conversation.id": self.thread_id,
                "portal_agent.turn.kind": self.kind,
            },
        )
        self.span = self._span_cm.__enter__()
        return self

    def token(self) -> None:
        """A token of the answer streamed: the first one's latency is recorded."""
        if not self._first_token:
            self._first_token = True
            self.metrics.first_token_seconds.labels(self.kind).observe(time.perf_counter() - self._started)

    def finished(self, new_messages: Iterable[Any], *, interrupted: bool) -> None:
        """The turn ended: stopped for an approval, or answered. ``new_messages`` are the turn's."""
        self.outcome = "approval" if interrupted else "answered"
        input_tokens, output_tokens = turn_tokens(new_messages)
        self.metrics.turn_tokens.labels("output").observe(output_tokens)
        if input_tokens is not None:
            self.metrics.turn_tokens.labels("input").observe(input_tokens)
            self.span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
        self.span.set_attribute("gen_ai.usage.output_tokens", output_tokens)

    def __exit__(self, exc_type, exc, tb) -> bool | None:
        if exc is not None:
            self.outcome = "error"
        self.metrics.turns.labels(self.kind, self.outcome).inc()
        self.metrics.turn_seconds.labels(self.kind).observe(time.perf_counter() - self._started)
        self.span.set_attribute("portal_agent.turn.outcome", self.outcome)
        return self._span_cm.__exit__(exc_type, exc, tb)


def turn_tokens(messages: Iterable[Any]) -> tuple[int | None, int]:
    """(input, output) tokens of a turn's model messages.

    Output is what the model reported (``usage_metadata``), else counted with the project's tokenizer
    (the offline planner reports nothing); input only as reported, since it cannot be counted after
    the fact. None when no message reported it.
    """
    reported_input: int | None = None
    output = 0
    for message in messages:
        if not isinstance(message, AIMessage):
            continue
        usage = message.usage_metadata
        if usage:
            reported_input = (reported_input or 0) + int(usage.get("input_tokens") or 0)
            output += int(usage.get("output_tokens") or 0)
        else:
            output += message_tokens(message)
    return reported_input, output
