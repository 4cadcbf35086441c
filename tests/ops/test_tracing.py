"""Traces of turns: a turn span with its model-call and tool-call spans as children.

Spans are recorded by the OpenTelemetry SDK's in-memory exporter (``spans`` fixture), for a turn
over HTTP (the async graph, tools in LangGraph's worker threads) and one from ``ask`` (sync). The
OTLP exporter is checked against a local OTLP/gRPC collector built from the protocol's own service
definition.
"""

from __future__ import annotations

from concurrent import futures

import grpc
import httpx
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from agent.service import AgentService
from agent.telemetry.tracing import otlp_provider, tracer
from connectors.web.app import create_app
from contract.settings import Settings
from tests.support.web import TOKENS, ask_body, auth, make_web_runtime, parse_sse

QUESTION = "how do I deploy widgets?"


def tree(spans) -> dict[str, list]:
    """The finished spans by name."""
    out: dict[str, list] = {}
    for span in spans.get_finished_spans():
        out.setdefault(span.name, []).append(span)
    return out


def ancestors(spans, span) -> list[str]:
    """The names of a span's parents, nearest first."""
    by_id = {s.context.span_id: s for s in spans.get_finished_spans()}
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def assert_turn_with_children(found: dict[str, list], tool: str) -> None:
    (turn,) = found["invoke_agent portal-agent"]
    models = found["chat offline"]
    (call,) = found[f"execute_tool {tool}"]
    assert len(models) >= 2  # the call that picks the tool, the one that answers from its result
    for child in [*models, call]:
        assert child.parent is not None and child.parent.span_id == turn.context.span_id
        assert child.context.trace_id == turn.context.trace_id
        assert turn.start_time <= child.start_time and child.end_time <= turn.end_time
    assert call.attributes["gen_ai.tool.name"] == tool
    assert turn.attributes["portal_agent.turn.outcome"] == "answered"
    assert turn.attributes["gen_ai.usage.output_tokens"] > 0
    for span in [turn, *models, call]:  # no question, answer or argument text on any span
        assert not any(isinstance(v, str) and "deploy" in v for v in span.attributes.values())


async def test_a_turn_over_http_is_one_trace(tmp_path, spans):
    app = create_app(AgentService(make_web_runtime(tmp_path, web_api_tokens=TOKENS)), background_indexing=False)
    transport = httpx.ASGITransport(app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        thread = (await http.post("/threads", json={}, headers=auth("wendy"))).json()["thread_id"]
        body = {"assistant_id": "agent", **ask_body(QUESTION, "values")}
        response = await http.post(f"/threads/{thread}/runs/stream", json=body, headers=auth("wendy"))
        assert parse_sse(response.text)[-1][1]["status"] == "success"
    found = tree(spans)
    assert_turn_with_children(found, "widget_docs")
    (turn,) = found["invoke_agent portal-agent"]
    # Inside the request's own trace (FastAPI makes a span per request once a provider is installed).
    assert "POST /threads/{thread_id}/runs/stream" in ancestors(spans, turn)
    assert turn.attributes["gen_ai.conversation.id"] == thread
    assert turn.attributes["portal_agent.turn.kind"] == "question"


def test_a_sync_turn_is_one_trace(tmp_path, spans):
    service = AgentService(make_web_runtime(tmp_path))
    result = service.ask(QUESTION, service.principal("user:default/wendy.owner"))
    assert result.tool_calls[0]["name"] == "widget_docs"
    assert_turn_with_children(tree(spans), "widget_docs")
    assert tree(spans)["invoke_agent portal-agent"][0].parent is None  # no request around it: a root span
    service.close()


def test_a_failed_tool_call_span_has_an_error_status(tmp_path, spans):
    service = AgentService(make_web_runtime(tmp_path))
    wendy = service.principal("user:default/wendy.owner")
    stopped = service.ask("restart widget-lab", wendy)
    request = service.approval(stopped.interrupt["request"]["id"]).request
    from agent.gate.policy import ApprovalDecision

    service.decide(
        ApprovalDecision(request_id=request.id, decision="reject", approver=wendy.ref, args_hash=request.args_hash),
        wendy,
    )
    (call,) = tree(spans)["execute_tool restart_widget"]
    assert call.status.status_code.name == "ERROR"
    assert call.attributes["portal_agent.tool.mutating"] is True
    kinds = [s.attributes["portal_agent.turn.kind"] for s in tree(spans)["invoke_agent portal-agent"]]
    assert kinds == ["question", "decision"]
    service.close()


class _Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    def Export(self, request, context):  # the protocol's method name
        self.requests.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


def test_spans_reach_an_otlp_collector():
    collector = _Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        settings = Settings(telemetry_otlp_endpoint=f"http://127.0.0.1:{port}", telemetry_service_name="portal-test")
        provider = otlp_provider(settings)
        with provider.get_tracer("t").start_as_current_span("invoke_agent portal-agent"):
            pass
        provider.shutdown()  # flushes the batch
    finally:
        server.stop(grace=None)
    resource_spans = [rs for request in collector.requests for rs in request.resource_spans]
    assert resource_spans, "nothing was exported"
    service_names = {
        a.value.string_value for rs in resource_spans for a in rs.resource.attributes if a.key == "service.name"
    }
    assert service_names == {"portal-test"}
    names = [s.name for rs in resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert names == ["invoke_agent portal-agent"]


def test_tracing_is_off_unless_an_endpoint_is_set():
    assert otlp_provider(Settings()) is None
    assert tracer() is not None
