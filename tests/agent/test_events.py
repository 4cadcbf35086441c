"""The typed events of a turn (agent.events), end to end through the real graph with a scripted model."""

from __future__ import annotations

import uuid

from langchain_core.messages import AIMessage, ToolMessage
from pydantic import BaseModel

from agent.events import (
    ApprovalNeeded,
    Finished,
    MessageStreamed,
    StateUpdated,
    Token,
    ToolFinished,
    outcome,
)
from agent.gate.policy import ApprovalDecision
from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings
from contract.tooling import Attachment, PortalTool, ToolResult
from tests.support.agent import DATA, ScriptedModel, call, executions, restart_then_answer, widget_family
from tools.registry import ToolFamily


class ChartArgs(BaseModel):
    name: str


def chart_family(png: str) -> ToolFamily:
    def run(args: ChartArgs, ctx) -> ToolResult:
        chart = Attachment(path=png, media_type="image/png", title=f"{args.name} cost")
        return ToolResult(data={"name": args.name, "total": 12.5}, attachments=[chart])

    tool = PortalTool(
        name="widget_cost", description="Cost with a chart (test-only).", args_schema=ChartArgs, func=run, family="t"
    )
    return ToolFamily(name="t", tools=lambda rt: [tool], intents=lambda rt: [])


def service_with(tmp_path, script, *families) -> AgentService:
    settings = Settings(data_dir=tmp_path, catalog=[str(DATA / "catalog.yaml")], admin_groups=["team-admins"])
    runtime = Runtime(settings, extra_families=[widget_family(), *families], builtin_families=False)
    return AgentService(runtime, model=ScriptedModel(script=script))


def kinds(events) -> list[str]:
    return [event.kind for event in events]


def test_a_turn_with_a_tool_call(tmp_path):
    script = [call("widget_status", {"name": "widget-api"}), AIMessage(content="widget-api is healthy")]
    service = service_with(tmp_path, script)
    events = list(service.events("is widget-api ok?", service.principal("wendy.owner"), str(uuid.uuid4())))
    assert kinds(events) == ["tool_started", "tool_finished", "token", "finished"]
    started, finished_tool, token, finished = events
    assert (started.name, started.args, started.call_id) == ("widget_status", {"name": "widget-api"}, "c1")
    assert (finished_tool.name, finished_tool.call_id, finished_tool.ok) == ("widget_status", "c1", True)
    assert '"healthy":true' in finished_tool.summary and "xoxb-" not in finished_tool.summary  # redacted
    assert token.text == "widget-api is healthy"
    assert finished.answer == "widget-api is healthy" and finished.interrupt is None
    assert finished.tool_calls == [{"name": "widget_status", "args": {"name": "widget-api"}}]
    assert finished.attachments == [] and finished.citations == []


async def test_tools_of_one_step_finish_in_order_and_mirrors_come_only_when_asked(tmp_path):
    both = AIMessage(
        content="",
        tool_calls=[
            {"name": "widget_status", "args": {"name": "widget-api"}, "id": "a", "type": "tool_call"},
            {"name": "widget_status", "args": {"name": "widget-lab"}, "id": "b", "type": "tool_call"},
        ],
    )
    service = service_with(tmp_path, [both, AIMessage(content="both fine")])
    wendy = service.principal("wendy.owner")
    events = [e async for e in service.aevents("status?", wendy, str(uuid.uuid4()), mirror={"messages", "updates"})]
    plain = [e for e in events if not isinstance(e, MessageStreamed | StateUpdated)]
    assert [(e.kind, getattr(e, "call_id", None)) for e in plain] == [
        ("tool_started", "a"),
        ("tool_finished", "a"),
        ("tool_started", "b"),
        ("tool_finished", "b"),
        ("token", None),
        ("finished", None),
    ]
    assert all(e.summary for e in plain if isinstance(e, ToolFinished))
    # The tool results follow both tools' ends, as the graph streams them; the answer's token is mirrored.
    order = [e.kind if not isinstance(e, MessageStreamed) else type(e.message).__name__ for e in events]
    assert order.index("ToolMessage") > order.index("tool_finished", order.index("tool_finished") + 1)
    assert any(isinstance(e, StateUpdated) and "tools" in e.updates for e in events)
    tools = [e.message for e in events if isinstance(e, MessageStreamed) and isinstance(e.message, ToolMessage)]
    assert [m.tool_call_id for m in tools] == ["a", "b"]
    unmirrored = [e async for e in service.aevents("again?", wendy, str(uuid.uuid4()))]
    assert not any(isinstance(e, MessageStreamed | StateUpdated) for e in unmirrored)


async def test_a_turn_that_needs_approval_then_its_decision(tmp_path):
    service = service_with(tmp_path, restart_then_answer())
    thread_id = str(uuid.uuid4())
    events = [e async for e in service.aevents("restart widget-api", service.principal("wendy.owner"), thread_id)]
    assert kinds(events) == ["approval_needed", "finished"]
    needed, finished = events
    assert isinstance(needed, ApprovalNeeded) and needed.request.tool == "restart_widget"
    assert finished.interrupt["request"]["id"] == needed.request.id
    assert finished.answer.startswith("Approval needed: restart on component:default/widget-api")
    assert executions(service.runtime) == []

    olga = service.principal("olga.oncall")
    request = needed.request
    decision = ApprovalDecision(
        request_id=request.id, decision="approve", approver=olga.ref, args_hash=request.args_hash
    )
    checked = service.check_decision(decision, olga)
    resumed = [e async for e in service.aresume_events(checked, decision, olga)]
    assert kinds(resumed) == ["tool_started", "tool_finished", "token", "finished"]
    assert resumed[1].ok and resumed[-1].answer == "done" and resumed[-1].interrupt is None
    assert len(executions(service.runtime)) == 1
    assert service.approval(request.id).status == "executed"


async def test_a_chart_comes_as_a_typed_attachment_the_model_never_reads(tmp_path):
    png = str(tmp_path / "widget-cost.png")
    script = [call("widget_cost", {"name": "widget-api"}), AIMessage(content="12.5 USD")]
    service = service_with(tmp_path, script, chart_family(png))
    events = [e async for e in service.aevents("cost?", service.principal("wendy.owner"), str(uuid.uuid4()))]
    chart = Attachment(path=png, media_type="image/png", title="widget-api cost")
    tool = next(e for e in events if isinstance(e, ToolFinished))
    assert tool.attachments == [chart] and png not in tool.summary
    finished = next(e for e in events if isinstance(e, Finished))
    assert finished.attachments == [chart]
    assert not any(isinstance(e, Token) and png in e.text for e in events)


async def test_outcome_is_the_finished_event(tmp_path):
    service = service_with(tmp_path, [AIMessage(content="hello")])
    finished = await outcome(service.aevents("hi", service.principal("wendy.owner"), str(uuid.uuid4())))
    assert isinstance(finished, Finished) and finished.answer == "hello"
