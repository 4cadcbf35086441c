"""Test-only pieces for the agent graph: a scripted chat model and a mutating test tool family.

The mutating tool appends to a file in the data dir, so that "executed exactly once" can be
checked across processes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, Field

from agent.runtime import Runtime
from contract.settings import Settings
from contract.tooling import PortalTool, Preview, ToolContext, ToolResult
from tests.support.paths import TESTS
from tools.registry import ToolFamily

DATA = TESTS / "agent" / "data"


class WidgetArgs(BaseModel):
    name: str = Field(description="Component name")
    replicas: int = Field(1, ge=0, le=50)


def executions(runtime: Runtime) -> list[dict[str, Any]]:
    path = runtime.data_dir / "executions.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def run_restart(args: WidgetArgs, ctx: ToolContext) -> ToolResult:
    with open(ctx.runtime.data_dir / "executions.jsonl", "a") as fh:
        fh.write(json.dumps({"name": args.name, "replicas": args.replicas, "by": ctx.principal.ref}) + "\n")
    if os.environ.get("WIDGET_RESTART_HANGS"):  # lets a test kill the process mid-execution
        time.sleep(600)
    return ToolResult(data={"restarted": args.name, "replicas": args.replicas}, refs=[f"component:default/{args.name}"])


def _status(args: WidgetArgs, ctx: ToolContext) -> ToolResult:
    return ToolResult(data={"name": args.name, "healthy": True, "token": "xoxb-1234567890-abcdefghij"})


def widget_family(with_intents: bool = False) -> ToolFamily:
    restart = PortalTool(
        name="restart_widget",
        description="Restart a widget service (test-only mutating tool).",
        args_schema=WidgetArgs,
        func=run_restart,
        family="testops",
        mutating=True,
        action="restart",
        target=lambda a, ctx: f"component:default/{a.name}",
        preview=lambda a, ctx: Preview(summary=f"would restart {a.name} with {a.replicas} replicas"),
        risk="medium",
    )
    status = PortalTool(
        name="widget_status",
        description="Status of a widget service.",
        args_schema=WidgetArgs,
        func=_status,
        family="testops",
    )
    return ToolFamily(
        name="testops",
        tools=lambda rt: [restart, status],
        intents=lambda rt: widget_intents() if with_intents else [],
    )


def make_runtime(data_dir: Path, with_intents: bool = False, with_status: bool = False, **settings: Any) -> Runtime:
    """The test catalog and widget tools; ``with_status`` adds the agent's approval-status tool."""
    from agent.approval_status import family as approval_status

    base = {"data_dir": data_dir, "catalog": [str(DATA / "catalog.yaml")], "admin_groups": ["team-admins"]}
    families = [widget_family(with_intents), *([approval_status] if with_status else [])]
    return Runtime(Settings(**{**base, **settings}), extra_families=families, builtin_families=False)


class ScriptedModel(BaseChatModel):
    """Returns the scripted AI messages in order; records what it was sent."""

    script: list[AIMessage]
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools, **kwargs):
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.seen.append(list(messages))
        if not self.script:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content="(script exhausted)"))])
        return ChatResult(generations=[ChatGeneration(message=self.script.pop(0))])


def call(name: str, args: dict[str, Any], call_id: str = "c1") -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])


def restart_then_answer() -> list[AIMessage]:
    return [call("restart_widget", {"name": "widget-api", "replicas": 2}), AIMessage(content="done")]


# --- test-only planner intents over the widget tools ---------------------------------------------


def _component_slot(state):
    mentions = state.runtime.catalog.find_mentions(state.utterance, kinds=["component"])
    if mentions:
        return {"ref": mentions[0].ref}
    if state.focus:
        return {"ref": state.focus[0]}
    return None


def _status_plan(state):
    from contract.intents import Answer, CallTools, ToolCallSpec

    name = state.slots["ref"].split("/")[-1]
    result = state.result_of("widget_status")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="widget_status", args={"name": name})])
    health = "healthy" if result.data["healthy"] else "unhealthy"
    return Answer(text=f"{name} ({state.slots['ref']}) is {health}.", refs=[state.slots["ref"]])


def _restart_plan(state):
    from contract.intents import Answer, CallTools, ToolCallSpec

    name = state.slots["ref"].split("/")[-1]
    result = state.result_of("restart_widget")
    if result is None:
        return CallTools(calls=[ToolCallSpec(name="restart_widget", args={"name": name})])
    if not result.ok:
        return Answer(text=f"I did not restart {name}: {result.error}", refs=[state.slots["ref"]])
    return Answer(text=f"Restarted {name}.", refs=[state.slots["ref"]])


def widget_intents():
    from contract.intents import Intent

    status = Intent(
        name="widget.status",
        family="testops",
        summary="whether a widget service is healthy",
        examples=[
            "is widget-api healthy",
            "status of widget-api",
            "how is widget-lab doing",
            "is widget-api up?",
            "check the health of widget-lab",
            "widget-api health",
        ],
        patterns=[r"\b(healthy|health|status|up)\b"],
        extract=_component_slot,
        plan=_status_plan,
        requires=("widget_status",),
    )
    restart = Intent(
        name="widget.restart",
        family="testops",
        summary="restart a widget service (with approval)",
        examples=["restart widget-api", "please restart widget-lab", "bounce widget-api", "reboot the widget-lab"],
        patterns=[r"\b(restart|bounce|reboot)\b"],
        extract=_component_slot,
        plan=_restart_plan,
        requires=("restart_widget",),
    )
    return [status, restart]
