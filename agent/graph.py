"""The LangGraph graph: model ⇄ tools, with an approval gate in front of every mutating call.

    agent ──mutating calls──▶ approval ──(one interrupt at a time)──▶ approval … ──▶ tools ──▶ agent
      ├──read-only calls──────────────────────────────────────────────────────▶ tools
      └──no tool calls──▶ END

The approval node handles one undecided mutating call per run, so a resumed node never replays
an earlier decision. The tools node checks again, structurally, that each mutating call has an
approved record bound to the exact arguments it is about to run, and that it has not already run
(a process killed mid-execution never executes twice: its outcome is recorded as unknown).
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableLambda
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from agent.approvals import ApprovalDecision, ApprovalPolicy, ApprovalRequest, Verdict, args_hash, request_id_for
from agent.approvals_store import DECIDED, ApprovalStore, StoredApproval
from agent.audit import AuditLog
from agent.budget import trim_history
from agent.planner.model import OfflinePlanner
from agent.prompts import system_prompt
from agent.redact import redact, redact_text
from agent.runtime import Runtime
from agent.state import AgentState
from agent.tool_selection import TurnTools, select_for_turn
from contract.principal import Principal
from contract.tokens import count_tokens, truncate_to_tokens
from contract.tooling import PortalTool, ToolContext, ToolResult

log = logging.getLogger(__name__)

# The demo organisation's SRE team approves anything, unless admin groups are configured.
DEMO_ADMIN_GROUPS = ["team-platform"]
OUTCOME_UNKNOWN = "outcome unknown — check the target"


def approval_store(runtime: Runtime) -> ApprovalStore:
    """The process's one store of approval requests (the gate and the approval-status tool share it)."""
    from datetime import timedelta

    lease = timedelta(seconds=runtime.settings.approval_claim_lease_seconds)
    return runtime.service("approvals.store", lambda: ApprovalStore(runtime.data_dir / "portal-agent.db", lease=lease))


class Gate:
    """Everything the approval gate needs, built once per process."""

    def __init__(self, runtime: Runtime, policy: ApprovalPolicy, store: ApprovalStore, audit: AuditLog):
        self.runtime = runtime
        self.policy = policy
        self.store = store
        self.audit = audit

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> Gate:
        from datetime import timedelta

        settings = runtime.settings
        try:
            catalog = runtime.catalog
        except Exception:  # no catalog configured: only admin groups may approve
            log.exception("catalog unavailable for the approval policy")
            catalog = None
        admin_groups = settings.admin_groups or (DEMO_ADMIN_GROUPS if settings.uses_demo else [])
        policy = ApprovalPolicy(
            catalog,
            admin_groups=admin_groups,
            four_eyes_production=settings.four_eyes_production,
            ttl=timedelta(minutes=settings.approval_ttl_minutes),
        )
        return cls(runtime, policy, approval_store(runtime), AuditLog(runtime.data_dir / "audit.jsonl"))

    def judge(
        self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal, ctx: ToolContext
    ) -> tuple[ApprovalRequest, Verdict]:
        """The request ``decision`` would run (the edited one for an edit) and the policy's verdict on it.

        The service (before resuming) and the graph (when the decision arrives) both ask this, so
        an edit is checked the same way wherever the decision came from.
        """
        if decision.decision != "edit":
            return request, self.policy.check(request, decision, approver)
        edited = self.edited_request(request, decision, ctx)
        if isinstance(edited, str):
            return request, Verdict(ok=False, reason=edited)
        return edited, self.policy.check_edit(request, edited, decision, approver)

    def edited_request(
        self, request: ApprovalRequest, decision: ApprovalDecision, ctx: ToolContext
    ) -> ApprovalRequest | str:
        """The request for the edit's arguments, built like a new one; a string says why there is none."""
        tool = self.runtime.tools.get(request.tool)
        if tool is None:
            return f"{request.tool} is not available here"
        if not decision.edited_args:
            return "an edit decision must carry the edited arguments"
        try:
            parsed = tool.parse(decision.edited_args)
            target = tool.target(parsed, ctx)
            preview = tool.preview(parsed, ctx)
            risk = tool.risk_of(parsed, ctx)
        except Exception as exc:
            return f"the edited arguments are not valid for {tool.name}: {exc}"
        if not preview.ok:
            return f"the dry run of the edited {tool.name} failed: {preview.error}"
        return self.policy.edited(
            request, args=parsed.model_dump(mode="json"), target=target, preview=preview, risk=risk
        )


def _principal(state: AgentState) -> Principal:
    return Principal.model_validate(state.get("principal") or {"ref": "user:default/guest"})


def _thread_id(config: dict[str, Any]) -> str | None:
    return (config.get("configurable") or {}).get("thread_id")


def _emit(event: dict[str, Any]) -> None:
    """Tool activity for connectors (stream mode ``custom``); a no-op outside a streaming run."""
    with contextlib.suppress(Exception):
        get_stream_writer()(event)


def build_graph(runtime: Runtime, model: BaseChatModel, *, checkpointer=None, gate: Gate | None = None):
    tools: dict[str, PortalTool] = runtime.tools
    gate = gate or Gate.for_runtime(runtime)
    offline = isinstance(model, OfflinePlanner)
    # The offline planner reads no schemas, so it is bound once to every tool; an LLM is offered
    # the tools relevant to each turn (agent/tool_selection.py) to stay within the token budget.
    bound_all = model.bind_tools([tool.model_schema() for tool in tools.values()]) if tools else model
    families = [family.name for family in runtime.families]
    settings = runtime.settings

    # --- agent ---------------------------------------------------------------------------------
    # Sync for the CLI's graph.invoke, async for Slack and the web: awaiting the model keeps the
    # offline planner's work and its streamed tokens on the event loop instead of a worker thread
    # (and an LLM's HTTP call needs no thread at all).
    def agent_node(state: AgentState, config) -> dict[str, Any]:
        bound, history = _model_input(state)
        try:
            response = bound.invoke(history, config)
        except Exception as exc:
            response = _model_error(exc)
        return _agent_output(response)

    async def agent_node_async(state: AgentState, config) -> dict[str, Any]:
        bound, history = _model_input(state)
        try:
            response = await bound.ainvoke(history, config)
        except Exception as exc:
            response = _model_error(exc)
        return _agent_output(response)

    def _model_input(state: AgentState) -> tuple[Any, list]:
        principal = _principal(state)
        if offline or not tools:
            bound, guidance = bound_all, families
        else:
            turn = _tools_for_turn(state["messages"], principal)
            bound, guidance = model.bind_tools(turn.schemas), turn.guidance_families
        system = SystemMessage(
            content=system_prompt(principal=principal.ref, via=principal.via, families=guidance),
            additional_kwargs={"principal": principal.model_dump()},
        )
        return bound, trim_history([system, *state["messages"]], settings.history_tokens)

    def _model_error(exc: Exception) -> AIMessage:
        from contract.chat_model import describe_model_error

        return AIMessage(content=describe_model_error(exc, settings))

    def _agent_output(response: Any) -> dict[str, Any]:
        if isinstance(response, AIMessage) and response.tool_calls:
            unknown = [c["name"] for c in response.tool_calls if c["name"] not in tools]
            if unknown:
                log.warning("model asked for unknown tools: %s", unknown)
        return {"messages": [response]}

    def _tools_for_turn(messages: list, principal: Principal) -> TurnTools:
        question = next((m.content for m in reversed(messages) if m.type == "human"), "")
        used = [c["name"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
        base = count_tokens(system_prompt(principal=principal.ref, via=principal.via, families=[]))
        return select_for_turn(runtime, str(question), base_tokens=base, used_tools=list(reversed(used)))

    # --- approval gate -------------------------------------------------------------------------
    def approval_node(state: AgentState, config) -> dict[str, Any]:
        last = state["messages"][-1]
        decided = state.get("approvals") or {}
        principal = _principal(state)
        thread_id = _thread_id(config)
        for call in last.tool_calls:
            tool = tools.get(call["name"])
            if tool is None or not tool.mutating or call["id"] in decided:
                continue
            return {"approvals": {call["id"]: _decide(tool, call, principal, thread_id)}}
        return {}

    def _decide(tool: PortalTool, call: dict, principal: Principal, thread_id: str | None) -> dict[str, Any]:
        ctx = ToolContext(runtime=runtime, principal=principal, thread_id=thread_id)
        if principal.read_only:
            reason = f"{principal.ref} has read-only access and may not request changes"
            return {"status": "refused", "reason": _refuse_request(tool, call, principal, thread_id, reason)}
        request = _request_for(tool, call, principal, thread_id, ctx)
        if isinstance(request, str):
            return {"status": "refused", "reason": request}
        payload = {
            "type": "approval",
            "request": request.model_dump(mode="json"),
            # The HITL request shape used by LangChain's agent-chat-ui.
            "action_requests": [{"name": tool.name, "args": call["args"], "description": request.describe()}],
            "review_configs": [{"action_name": tool.name, "allowed_decisions": ["approve", "edit", "reject"]}],
        }
        resume = interrupt(payload)
        return _apply_decision(request, resume, ctx)

    def _refuse_request(tool: PortalTool, call: dict, principal: Principal, thread_id: str | None, reason: str) -> str:
        """A request that cannot even be put to an approver: audited, and the reason returned."""
        gate.audit.append(
            "approval.refused",
            tool=tool.name,
            args=call["args"],
            requested_by=principal.ref,
            reason=reason,
            thread_id=thread_id,
        )
        return reason

    def _request_for(tool, call, principal, thread_id, ctx) -> ApprovalRequest | str:
        """The request for this call: from the store if this node is being replayed, else new."""
        found = gate.store.get(request_id_for(thread_id, call["id"]))
        if found is not None:
            return found[0]
        try:
            parsed = tool.parse(call["args"])
            target = tool.target(parsed, ctx)
            preview = tool.preview(parsed, ctx)
        except Exception as exc:
            reason = f"could not prepare {tool.name}: {type(exc).__name__}: {exc}"
            return _refuse_request(tool, call, principal, thread_id, reason)
        if not preview.ok:
            return _refuse_request(
                tool, call, principal, thread_id, f"the dry run of {tool.name} failed: {preview.error}"
            )
        request = gate.policy.new_request(
            tool=tool.name,
            action=tool.action or tool.name,
            args=parsed.model_dump(mode="json"),
            target=target,
            requested_by=principal.ref,
            preview=preview,
            risk=tool.risk_of(parsed, ctx),
            tool_call_id=call["id"],
            thread_id=thread_id,
        )
        gate.store.add_pending(request)
        gate.audit.append(
            "approval.requested",
            request_id=request.id,
            tool=tool.name,
            args=request.args,
            target=target,
            requested_by=principal.ref,
            risk=request.risk,
            approvers=request.approvers,
            expires_at=request.expires_at,
            thread_id=thread_id,
        )
        return request

    def _apply_decision(request: ApprovalRequest, resume: Any, ctx: ToolContext) -> dict:
        stored = gate.store.row(request.id)
        if stored is not None and stored.status in DECIDED:
            # A replay after a crash cut this node short: the decision was applied and audited once.
            return _recorded_outcome(stored)
        try:
            decision = ApprovalDecision.model_validate(resume["decision"])
            approver = Principal.model_validate(resume["approver"])
        except Exception as exc:
            return _refused(request, f"malformed decision: {exc}")
        effective, verdict = gate.judge(request, decision, approver, ctx)
        if not verdict.ok:
            return _refused(request, verdict.reason, approver=approver.ref, decision=decision.decision)
        if decision.decision == "reject":
            gate.audit.append(
                "approval.rejected", request_id=request.id, approver=approver.ref, comment=decision.comment
            )
            reason = decision.comment or f"rejected by {approver.ref}"
            gate.store.finish(request.id, "rejected", {"reason": reason})
            return {**_outcome(request, approver.ref), "status": "rejected", "reason": reason}
        gate.audit.append(
            "approval.approved",
            request_id=request.id,
            approver=approver.ref,
            decision=decision.decision,
            target=effective.target,
            args=effective.args,
            args_hash=effective.args_hash,
        )
        gate.store.finish(request.id, "approved", request=effective)
        return _approved(effective, approver.ref)

    def _refused(request: ApprovalRequest, reason: str, **fields: Any) -> dict:
        gate.audit.append("approval.refused", request_id=request.id, reason=reason, **fields)
        gate.store.finish(request.id, "refused", {"reason": reason})
        return {**_outcome(request, fields.get("approver")), "status": "refused", "reason": reason}

    def _outcome(request: ApprovalRequest, decided_by: str | None) -> dict:
        return {"request": request.model_dump(mode="json"), "decided_by": decided_by}

    def _approved(request: ApprovalRequest, decided_by: str) -> dict:
        return {
            **_outcome(request, decided_by),
            "status": "approved",
            "run_args": request.args,
            "approved_hash": request.args_hash,
            "reason": f"approved by {decided_by}",
        }

    def _recorded_outcome(stored: StoredApproval) -> dict:
        decided_by = stored.decision.approver if stored.decision else None
        if stored.status == "approved":
            return _approved(stored.request, decided_by or "")
        reason = (stored.result or {}).get("reason") or f"{stored.status} by {decided_by}"
        return {**_outcome(stored.request, decided_by), "status": stored.status, "reason": reason}

    # --- tools ---------------------------------------------------------------------------------
    def tools_node(state: AgentState, config) -> dict[str, Any]:
        last = state["messages"][-1]
        principal = _principal(state)
        ctx = ToolContext(runtime=runtime, principal=principal, thread_id=_thread_id(config))
        approvals = state.get("approvals") or {}
        out = []
        for call in last.tool_calls:
            _emit({"type": "tool_start", "name": call["name"], "args": redact(call["args"]), "id": call["id"]})
            result = _run_call(call, ctx, approvals.get(call["id"]))
            text, _ = truncate_to_tokens(
                redact_text(result.to_text()), settings.tool_output_tokens, what=f"{call['name']} output"
            )
            _emit({"type": "tool_end", "name": call["name"], "id": call["id"], "ok": result.ok})
            out.append(
                ToolMessage(
                    content=text,
                    tool_call_id=call["id"],
                    name=call["name"],
                    artifact=redact(result.model_dump(mode="json")),
                    status="success" if result.ok else "error",
                )
            )
        return {"messages": out}

    def _run_call(call: dict, ctx: ToolContext, approval: dict | None) -> ToolResult:
        tool = tools.get(call["name"])
        if tool is None:
            return ToolResult.failure(
                f"unknown tool {call['name']!r}; available: {', '.join(sorted(tools))}",
                {"tool": call["name"], **call["args"]},
            )
        if not tool.mutating:
            return tool.run(call["args"], ctx)
        return _run_mutation(tool, call, ctx, approval)

    def _run_mutation(tool: PortalTool, call: dict, ctx: ToolContext, approval: dict | None) -> ToolResult:
        query = {"tool": tool.name, **call["args"]}
        if not approval or approval.get("status") != "approved":
            reason = (approval or {}).get("reason", "no approval was given")
            status = (approval or {}).get("status", "missing")
            return ToolResult.failure(f"not executed: approval {status}: {reason}", query)
        run_args = approval["run_args"]
        if args_hash(tool.name, run_args) != approval.get("approved_hash"):
            return ToolResult.failure("not executed: arguments differ from the approved ones", query)
        request_id = approval["request"]["id"]
        if not gate.store.start_execution(request_id):
            return _not_started(request_id, query)
        gate.audit.append(
            "mutation.executing",
            request_id=request_id,
            tool=tool.name,
            args=run_args,
            requested_by=ctx.principal.ref,
            approved_by=approval.get("decided_by"),
        )
        result = tool.run(run_args, ctx)
        summary = redact(result.model_dump(mode="json", exclude_none=True))
        gate.store.finish(request_id, "executed" if result.ok else "failed", summary)
        gate.audit.append("mutation.result", request_id=request_id, tool=tool.name, ok=result.ok, result=summary)
        return result

    def _not_started(request_id: str, query: dict[str, Any]) -> ToolResult:
        """Why an approved call is not run now: it already ran, is running, or a crash hid its outcome."""
        found = gate.store.row(request_id)
        status = found.status if found else None
        if status in ("executed", "failed"):
            done = gate.audit.find(event="mutation.result", request_id=request_id)
            data = done[-1].get("result") if done else None
            return ToolResult(
                ok=status == "executed",
                query=query,
                data=data,
                note="already executed for this approval; not run again",
            )
        if status == "executing":
            if not gate.store.mark_unknown(request_id):
                return ToolResult.failure("not executed again: another process is running this approved action", query)
            gate.audit.append("mutation.outcome_unknown", request_id=request_id, tool=found.request.tool)
            status = "unknown"
        if status == "unknown" and found is not None:
            request = found.request
            return ToolResult.failure(
                f"{OUTCOME_UNKNOWN}: {request.action} on {request.target} (request {request_id}) was started, but "
                "the process running it stopped before recording the result. It was not run again; check "
                f"{request.target} before requesting it again.",
                query,
                data={"request_id": request_id, "status": "unknown"},
                refs=[request.target],
            )
        return ToolResult.failure(f"not executed: the approval is {status or 'unknown'}", query)

    # --- wiring --------------------------------------------------------------------------------
    def after_agent(state: AgentState) -> str:
        """Calls that change something go through the gate; read-only calls go straight to tools."""
        last = state["messages"][-1]
        if not isinstance(last, AIMessage) or not last.tool_calls:
            return END
        if any(tools.get(c["name"]) is not None and tools[c["name"]].mutating for c in last.tool_calls):
            return "approval"
        return "tools"

    def after_approval(state: AgentState) -> str:
        last = state["messages"][-1]
        decided = state.get("approvals") or {}
        for call in last.tool_calls:
            tool = tools.get(call["name"])
            if tool is not None and tool.mutating and call["id"] not in decided:
                return "approval"
        return "tools"

    graph = StateGraph(AgentState)
    graph.add_node("agent", RunnableLambda(agent_node, afunc=agent_node_async, name="agent"))
    graph.add_node("approval", approval_node)
    graph.add_node("tools", tools_node)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", after_agent, ["approval", "tools", END])
    graph.add_conditional_edges("approval", after_approval, ["approval", "tools"])
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=checkpointer)


def tool_calls_of(messages: list) -> list[dict[str, Any]]:
    """Every tool call in a list of messages, as ``{name, args}``, for reports and evals."""
    return [
        {"name": call["name"], "args": json.loads(json.dumps(call["args"], default=str))}
        for message in messages
        if isinstance(message, AIMessage)
        for call in message.tool_calls
    ]
