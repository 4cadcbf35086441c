"""The Prometheus metrics of one process, in one registry per runtime.

One registry per :class:`~agent.runtime.Runtime` rather than prometheus_client's global one: a
process that builds several runtimes (the tests, an eval next to a server) keeps their figures
apart, and ``/metrics`` (:mod:`connectors.web.metrics`) serves its own runtime's. Every name starts
with ``portal_agent_``; labels are bounded sets (route templates, tool names, outcomes), never
thread ids, users or questions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

if TYPE_CHECKING:
    from agent.runtime import Runtime

SERVICE_KEY = "agent.telemetry.metrics"
# Seconds: from a cached catalog answer (milliseconds) to a long LLM turn with tools (a minute).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
TOKEN_BUCKETS = (10, 50, 100, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000)


class _Pending:
    """``portal_agent_approvals_pending``, read from the approval store when scraped (shared by replicas)."""

    def __init__(self, count: Callable[[], int]):
        self._count = count

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("portal_agent_approvals_pending", "Approval requests waiting for a decision")
        family.add_metric([], float(self._count()))
        yield family

    def describe(self) -> list[Metric]:
        return []  # no samples at registration: the store may not be open yet


class Metrics:
    """Every metric the agent and its connectors record."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)  # CPU seconds, resident memory, open files of this process
        self.http_requests = Counter(
            "portal_agent_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.http_seconds = Histogram(
            "portal_agent_http_request_duration_seconds",
            "HTTP request duration, to the end of the response body (a run's whole stream)",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.turns = Counter(
            "portal_agent_turns", "Conversation turns run", ["kind", "outcome"], registry=r
        )  # kind: question | decision | recovery; outcome: answered | approval | error
        self.turn_seconds = Histogram(
            "portal_agent_turn_duration_seconds",
            "One turn, start to end",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.first_token_seconds = Histogram(
            "portal_agent_first_token_seconds",
            "From the start of a streamed turn to the answer's first token",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.turn_tokens = Histogram(
            "portal_agent_turn_tokens",
            "Model tokens of one turn: output always (reported by the model, else counted), input as reported",
            ["direction"],
            buckets=TOKEN_BUCKETS,
            registry=r,
        )
        self.model_calls = Counter("portal_agent_model_calls", "Chat model calls", ["outcome"], registry=r)
        self.model_seconds = Histogram(
            "portal_agent_model_call_duration_seconds", "One chat model call", buckets=LATENCY_BUCKETS, registry=r
        )
        self.tool_calls = Counter("portal_agent_tool_calls", "Tool calls run", ["tool", "outcome"], registry=r)
        self.tool_errors = Counter("portal_agent_tool_errors", "Tool calls that failed", ["tool"], registry=r)
        self.tool_seconds = Histogram(
            "portal_agent_tool_duration_seconds", "One tool call", ["tool"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.approvals_requested = Counter(
            "portal_agent_approvals_requested", "Approval requests put to an approver", ["tool"], registry=r
        )
        self.approvals_decided = Counter(
            "portal_agent_approvals_decided",
            "Approval requests closed (approved, rejected, refused by policy, expired, stale)",
            ["decision"],
            registry=r,
        )
        self.approved_actions = Counter(
            "portal_agent_approved_actions",
            "Approved changes run: executed, failed or outcome unknown",
            ["outcome"],
            registry=r,
        )
        self.slack_acks = Counter(
            "portal_agent_slack_acks",
            "Slack deliveries acknowledged: accepted (this process answers) or duplicate (dropped)",
            ["kind", "outcome"],
            registry=r,
        )
        self._pending_lock = threading.Lock()
        self._pending_watched = False

    def watch_pending_approvals(self, count: Callable[[], int]) -> None:
        """Report ``count()`` as the pending approvals gauge when scraped (the first caller's store)."""
        with self._pending_lock:
            if not self._pending_watched:
                self.registry.register(_Pending(count))
                self._pending_watched = True


def metrics_for(runtime: Runtime) -> Metrics:
    """The runtime's metrics, created on first use."""
    return runtime.service(SERVICE_KEY, Metrics)
