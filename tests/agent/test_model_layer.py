"""The model factory and the real OpenAI client against a scripted OpenAI-compatible server."""

from __future__ import annotations

import socket

import pytest

from agent.gate.policy import ApprovalDecision
from agent.model import ModelConfigError, create_model
from agent.planner.model import OfflinePlanner
from agent.service import AgentService
from tests.support.agent import executions, make_runtime
from tests.support.openai_server import ScriptedOpenAI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_is_the_default(tmp_path):
    assert isinstance(create_model(make_runtime(tmp_path)), OfflinePlanner)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("llama", "expected offline"), ("openai-compatible:x", "MODEL_BASE_URL"), ("anthropic:x", "unknown model")],
)
def test_bad_model_settings_are_explained(tmp_path, spec, message, monkeypatch):
    with pytest.raises(ModelConfigError, match=message):
        create_model(make_runtime(tmp_path, model=spec))


def test_openai_model_needs_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelConfigError, match="OPENAI_API_KEY"):
        create_model(make_runtime(tmp_path, model="openai:gpt-4o-mini"))


def test_llm_tool_loop_with_approval_over_the_wire(tmp_path):
    script = [
        {"tool_calls": [{"name": "widget_status", "args": {"name": "widget-api"}}]},
        {"tool_calls": [{"name": "restart_widget", "args": {"name": "widget-api", "replicas": 2}}]},
        {"content": "widget-api was restarted."},
    ]
    with ScriptedOpenAI(script) as server:
        runtime = make_runtime(tmp_path, model="openai-compatible:scripted", model_base_url=server.base_url)
        service = AgentService(runtime)
        pending = service.ask("check widget-api and restart it", service.principal("wendy.owner"))
        assert [c["name"] for c in pending.tool_calls] == ["widget_status", "restart_widget"]
        request = pending.interrupt["request"]
        approver = service.principal("olga.oncall")
        done = service.decide(
            ApprovalDecision(
                request_id=request["id"], decision="approve", approver=approver.ref, args_hash=request["args_hash"]
            ),
            approver,
        )
    assert done.answer == "widget-api was restarted."
    assert len(executions(runtime)) == 1
    first = server.requests[0]
    assert first["model"] == "scripted"
    assert {t["function"]["name"] for t in first["tools"]} == {"widget_status", "restart_widget"}
    assert first["messages"][0]["role"] == "system" and "user:default/wendy.owner" in first["messages"][0]["content"]
    # The tool result went back to the model, with the secret in it redacted.
    tool_messages = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert tool_messages and "xoxb-" not in tool_messages[0]["content"]


def test_transient_server_errors_are_retried(tmp_path):
    with ScriptedOpenAI([500, {"content": "fine now"}]) as server:
        runtime = make_runtime(
            tmp_path, model="openai-compatible:scripted", model_base_url=server.base_url, model_max_retries=2
        )
        service = AgentService(runtime)
        result = service.ask("hello", service.principal("wendy.owner"))
    assert result.answer == "fine now"
    assert len(server.requests) == 2


def test_unreachable_model_gives_a_clear_message(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    runtime = make_runtime(
        tmp_path, model="openai-compatible:scripted", model_base_url=url, model_max_retries=0, model_timeout=5
    )
    service = AgentService(runtime)
    result = service.ask("hello", service.principal("wendy.owner"))
    assert "could not be reached" in result.answer and url in result.answer


def test_streaming_tokens_from_the_llm(tmp_path):
    with ScriptedOpenAI([{"content": "one two three four"}]) as server:
        runtime = make_runtime(tmp_path, model="openai-compatible:scripted", model_base_url=server.base_url)
        service = AgentService(runtime)
        tokens = [
            chunk.content
            for mode, (chunk, meta) in (
                (m, p) for m, p in service.stream("hi", service.principal("wendy.owner")) if m == "messages"
            )
            if meta.get("langgraph_node") == "agent"
        ]
    assert "".join(tokens) == "one two three four"
    assert len([t for t in tokens if t]) == 4
