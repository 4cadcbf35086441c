"""The LangGraph graph: model ⇄ tools, with the approval gate in front of every mutating call.

    agent ──mutating calls──▶ approval ──(one interrupt at a time)──▶ approval … ──▶ tools ──▶ agent
      ├──read-only calls──────────────────────────────────────────────────────▶ tools
      └──no tool calls──▶ END

The approval node puts one undecided mutating call to the gate per run, so a resumed node never
replays an earlier decision; the tools node hands each mutating call back to the gate, which runs
it only as approved and only once (:mod:`agent.gate.gate`). The nodes are plain functions; their
dependencies are bound in :func:`build_graph`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from functools import partial
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

from agent.gate.gate import Gate
from agent.model_input import ModelInput
from agent.redact import redact, redact_text
from agent.runtime import Runtime
from agent.state import AgentState
from agent.telemetry.calls import model_call, tool_call
from contract.chat_model import describe_model_error
from contract.principal import Principal
from contract.tokens import truncate_to_tokens
from contract.tooling import ToolContext, ToolResult

log = logging.getLogger(__name__)


def principal_of(state: AgentState) -> Principal:
    return Principal.model_validate(state.get("principal") or {"ref": "user:default/guest"})


def thread_of(config: RunnableConfig) -> str | None:
    return (config.get("configurable") or {}).get("thread_id")


# Sync for the CLI's graph.invoke, async for Slack and the web: awaiting the model keeps the offline
# planner's work and its streamed tokens on the event loop (and an LLM's HTTP call needs no thread).
def call_model(state: AgentState, config: RunnableConfig, *, prepare: ModelInput) -> dict[str, Any]:
    bound, history = prepare(state["messages"], principal_of(state))
    with model_call(prepare.runtime) as observed:
        try:
            response = bound.invoke(history, config)
            observed.usage(response)
        except Exception as exc:
            observed.failed(type(exc).__name__)
            response = AIMessage(content=describe_model_error(exc, prepare.runtime.settings))
    return answered(prepare.runtime, response)


async def acall_model(state: AgentState, config: RunnableConfig, *, prepare: ModelInput) -> dict[str, Any]:
    bound, history = prepare(state["messages"], principal_of(state))
    with model_call(prepare.runtime) as observed:
        try:
            response = await bound.ainvoke(history, config)
            observed.usage(response)
        except Exception as exc:
            observed.failed(type(exc).__name__)
            response = AIMessage(content=describe_model_error(exc, prepare.runtime.settings))
    return answered(prepare.runtime, response)


def answered(runtime: Runtime, response: Any) -> dict[str, Any]:
    """The model's turn as a state update (a call to a tool that does not exist is logged)."""
    if isinstance(response, AIMessage) and response.tool_calls:
        unknown = [c["name"] for c in response.tool_calls if c["name"] not in runtime.tools]
        if unknown:
            log.warning("model asked for unknown tools: %s", unknown)
    return {"messages": [response]}


def review(state: AgentState, config: RunnableConfig, *, gate: Gate) -> dict[str, Any]:
    """Put the first undecided mutating call to the gate (it may stop the run for a decision)."""
    undecided = gate.to_review(state["messages"][-1], state.get("approvals"))
    if not undecided:
        return {}
    call = undecided[0]
    return {"approvals": {call["id"]: gate.review(call, principal_of(state), thread_of(config))}}


def emit(event: dict[str, Any]) -> None:
    """Tool activity for connectors (stream mode ``custom``); a no-op outside a streaming run."""
    with contextlib.suppress(Exception):
        get_stream_writer()(event)


def run_tools(state: AgentState, config: RunnableConfig, *, gate: Gate) -> dict[str, Any]:
    runtime = gate.runtime
    ctx = ToolContext(runtime=runtime, principal=principal_of(state), thread_id=thread_of(config))
    approvals, tools, out = state.get("approvals") or {}, runtime.tools, []
    for call in state["messages"][-1].tool_calls:
        emit({"type": "tool_start", "name": call["name"], "args": redact(call["args"]), "id": call["id"]})
        tool = tools.get(call["name"])
        # A tool the model made up is labelled "unknown": metric labels stay a bounded set.
        name, mutating = (call["name"], tool.mutating) if tool else ("unknown", False)
        with tool_call(runtime, name, call["id"], mutating=mutating) as observed:
            if tool is None:
                failure = f"unknown tool {call['name']!r}; available: {', '.join(sorted(tools))}"
                result = ToolResult.failure(failure, {"tool": call["name"], **call["args"]})
            else:
                result = (
                    gate.execute(call, ctx, approvals.get(call["id"])) if tool.mutating else tool.run(call["args"], ctx)
                )
            if not result.ok:
                observed.failed("tool_error")
        limit, what = runtime.settings.tool_output_tokens, f"{call['name']} output"
        text, _ = truncate_to_tokens(redact_text(result.to_text()), limit, what=what)
        emit({"type": "tool_end", "name": call["name"], "id": call["id"], "ok": result.ok})
        artifact, status = redact(result.model_dump(mode="json")), "success" if result.ok else "error"
        out.append(ToolMessage(text, tool_call_id=call["id"], name=call["name"], artifact=artifact, status=status))
    return {"messages": out}


def route_model_output(state: AgentState, *, gate: Gate) -> str:
    """Calls that change something go through the gate; read-only calls go straight to tools."""
    last = state["messages"][-1]
    if not isinstance(last, AIMessage) or not last.tool_calls:
        return END
    return "approval" if gate.to_review(last) else "tools"


def route_review(state: AgentState, *, gate: Gate) -> str:
    return "approval" if gate.to_review(state["messages"][-1], state.get("approvals")) else "tools"


# A call asked for outside a chat (an MCP client, see AgentService.arequest_call) is marked so: its
# result is the answer, with no model turn after it (there is no question for a model to answer).
DIRECT_CALL = "direct_call"


def route_tools_output(state: AgentState) -> str:
    calling = next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage) and m.tool_calls), None)
    return "report" if calling is not None and calling.additional_kwargs.get(DIRECT_CALL) else "agent"


def report(state: AgentState) -> dict[str, Any]:
    """The direct call's result, as the turn's answer."""
    results = []
    for message in reversed(state["messages"]):
        if not isinstance(message, ToolMessage):
            break
        results.append(f"{message.name}: {message.content}")
    return {"messages": [AIMessage(content="\n\n".join(reversed(results)))]}


def build_graph(runtime: Runtime, model: BaseChatModel, *, checkpointer=None, gate: Gate | None = None):
    gate = gate or Gate.for_runtime(runtime)
    prepare = ModelInput(runtime, model)
    agent = RunnableLambda(
        partial(call_model, prepare=prepare), afunc=partial(acall_model, prepare=prepare), name="agent"
    )
    graph = StateGraph(AgentState)
    graph.add_node("agent", agent)
    graph.add_node("approval", partial(review, gate=gate))
    graph.add_node("tools", partial(run_tools, gate=gate))
    graph.add_node("report", report)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", partial(route_model_output, gate=gate), ["approval", "tools", END])
    graph.add_conditional_edges("approval", partial(route_review, gate=gate), ["approval", "tools"])
    graph.add_conditional_edges("tools", route_tools_output, ["agent", "report"])
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)


def tool_calls_of(messages: list) -> list[dict[str, Any]]:
    """Every tool call in a list of messages, as ``{name, args}``, for reports and evals."""
    return [
        {"name": call["name"], "args": json.loads(json.dumps(call["args"], default=str))}
        for message in messages
        if isinstance(message, AIMessage)
        for call in message.tool_calls
    ]
