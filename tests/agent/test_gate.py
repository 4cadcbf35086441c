"""The approval gate on its own, without the agent's graph: which calls need review, a review
stopped by ``interrupt()`` (run in a one-node graph), checking a decision (an edit that brings in
four eyes), the request a conversation waits on, and running an approved call exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, TypedDict

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.types import Command
from pydantic import BaseModel

from agent.gate.gate import DecisionRefused, Gate, resume_payload
from agent.gate.policy import ApprovalDecision
from agent.identity import resolve_principal
from agent.runtime import Runtime
from contract.settings import Settings
from contract.tooling import PortalTool, Preview, ToolContext, ToolResult
from tests.support.agent import DATA
from tools.registry import ToolFamily

THREAD = "thread-1"


class Args(BaseModel):
    name: str


class Restarts:
    """A mutating test tool that records each run and, when asked, holds it until released."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.running = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        self.runs.append(args.name)
        self.running.set()
        assert self.release.wait(10)
        return ToolResult(data={"restarted": args.name})

    def family(self) -> ToolFamily:
        restart = PortalTool(
            name="restart",
            description="Restart a widget (test-only).",
            args_schema=Args,
            func=self.run,
            family="gate-test",
            mutating=True,
            action="restart",
            target=lambda a, ctx: f"component:default/{a.name}",
            preview=lambda a, ctx: Preview(summary=f"would restart {a.name}"),
        )
        status = PortalTool(
            name="status", description="Status of a widget.", args_schema=Args, func=self.run, family="gate-test"
        )
        return ToolFamily(name="gate-test", tools=lambda rt: [restart, status], intents=lambda rt: [])


class ReviewState(TypedDict, total=False):
    outcome: dict[str, Any]


@pytest.fixture
def restarts() -> Restarts:
    return Restarts()


@pytest.fixture
def gate(tmp_path, restarts) -> Gate:
    settings = Settings(data_dir=tmp_path, catalog=[str(DATA / "catalog.yaml")], admin_groups=["team-admins"])
    return Gate.for_runtime(Runtime(settings, extra_families=[restarts.family()], builtin_families=False))


def who(gate: Gate, name: str):
    return resolve_principal(gate.runtime.catalog, name)


def restart_call(name: str = "widget-lab", call_id: str = "c1") -> dict[str, Any]:
    return {"name": "restart", "args": {"name": name}, "id": call_id, "type": "tool_call"}


def review_graph(gate: Gate, call: dict[str, Any], requester: str):
    """One node that asks the gate to review ``call``: the interrupt machinery the agent's graph uses."""

    def node(state: ReviewState, config) -> ReviewState:
        return {"outcome": gate.review(call, who(gate, requester), config["configurable"]["thread_id"])}

    graph = StateGraph(ReviewState)
    graph.add_node("review", node)
    graph.add_edge(START, "review")
    return graph.compile(checkpointer=InMemorySaver())


def config(thread_id: str = THREAD) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def stopped_for_review(gate: Gate, call: dict[str, Any], requester: str = "wendy.owner"):
    """The review graph run up to its interrupt, and the state reader the gate is handed."""
    graph = review_graph(gate, call, requester)
    stopped = graph.invoke({}, config())
    assert stopped["__interrupt__"][0].value["type"] == "approval"
    return graph, lambda thread_id: graph.get_state(config(thread_id))


def decision_for(gate: Gate, request, approver: str, kind: str = "approve", **extra) -> ApprovalDecision:
    return ApprovalDecision(
        request_id=request.id, decision=kind, approver=who(gate, approver).ref, args_hash=request.args_hash, **extra
    )


def test_only_mutating_calls_that_are_not_decided_need_review(gate):
    read = {"name": "status", "args": {"name": "widget-lab"}, "id": "r1", "type": "tool_call"}
    unknown = {"name": "nope", "args": {}, "id": "u1", "type": "tool_call"}
    turn = AIMessage(content="", tool_calls=[read, restart_call(call_id="c1"), unknown, restart_call(call_id="c2")])
    assert [c["id"] for c in gate.to_review(turn)] == ["c1", "c2"]
    assert [c["id"] for c in gate.to_review(turn, {"c1": {"status": "approved"}})] == ["c2"]
    assert gate.to_review(AIMessage(content="", tool_calls=[read])) == []


def test_a_review_stops_at_an_interrupt_and_applies_the_decision_it_is_resumed_with(gate):
    graph, state_of = stopped_for_review(gate, restart_call())
    request = gate.pending(graph.get_state(config())).request
    assert request is not None and gate.store.status(request.id) == "pending"
    assert request.target == "component:default/widget-lab" and not request.four_eyes
    decision = decision_for(gate, request, "olga.oncall")
    assert gate.check_decision(decision, who(gate, "olga.oncall"), state_of) == request
    done = graph.invoke(Command(resume=resume_payload(decision, who(gate, "olga.oncall"))), config())
    assert done["outcome"]["status"] == "approved" and done["outcome"]["decided_by"] == "user:default/olga.oncall"
    assert done["outcome"]["run_args"] == {"name": "widget-lab"}
    assert gate.store.status(request.id) == "approved"
    assert [r["event"] for r in gate.audit.records()] == ["approval.requested", "approval.approved"]


def test_a_read_only_requester_is_refused_without_an_interrupt(gate):
    outcome = gate.review(restart_call(), who(gate, "nobody.known"), THREAD)
    assert outcome["status"] == "refused" and "read-only" in outcome["reason"]
    assert gate.store.pending() == []


def test_an_edit_onto_production_brings_in_four_eyes_for_the_requester(gate):
    _graph, state_of = stopped_for_review(gate, restart_call("widget-lab"))
    request = gate.store.pending()[0]
    assert not request.four_eyes  # widget-lab is experimental: the requester may approve it
    edit = {"edited_args": {"name": "widget-api"}}
    wendy, olga = who(gate, "wendy.owner"), who(gate, "olga.oncall")
    edited = gate.edited_request(
        request,
        decision_for(gate, request, "wendy.owner", "edit", **edit),
        ToolContext(runtime=gate.runtime, principal=wendy, thread_id=THREAD),
    )
    assert edited.four_eyes and edited.lifecycle == "production" and edited.id == request.id
    with pytest.raises(DecisionRefused, match="requester may not approve"):
        gate.check_decision(decision_for(gate, request, "wendy.owner", "edit", **edit), wendy, state_of)
    assert gate.store.status(request.id) == "pending"  # still decidable by someone else
    assert gate.audit.find(event="approval.refused", request_id=request.id)[0]["kept_pending"] is True
    assert gate.check_decision(decision_for(gate, request, "olga.oncall", "edit", **edit), olga, state_of) == request
    assert gate.store.status(request.id) == "deciding"


def test_the_pending_request_of_a_thread(gate):
    graph, _state_of = stopped_for_review(gate, restart_call())
    assert gate.pending(review_graph(gate, restart_call(), "wendy.owner").get_state(config())).request is None
    pending = gate.pending(graph.get_state(config()))
    assert pending.request.id == gate.store.pending()[0].id and pending.first is None
    gate.store.finish(pending.request.id, "approved")  # decided by a process that is gone: finish it first
    assert gate.pending(graph.get_state(config())).first == "recover"


def test_an_overdue_request_is_expired_before_it_holds_its_thread(gate):
    gate.policy.ttl = timedelta(0)
    graph, state_of = stopped_for_review(gate, restart_call())
    pending = gate.pending(graph.get_state(config()))
    assert pending.first == "expire" and gate.overdue() == [pending.request]
    claimed = gate.claim_expiry(pending.request, state_of)
    assert claimed is not None and claimed.decision == "reject" and gate.store.status(pending.request.id) == "deciding"


def test_an_approved_call_runs_once_and_a_concurrent_second_attempt_is_refused(gate, restarts):
    graph, state_of = stopped_for_review(gate, restart_call())
    request = gate.store.pending()[0]
    olga = who(gate, "olga.oncall")
    decision = decision_for(gate, request, "olga.oncall")
    gate.check_decision(decision, olga, state_of)
    approval = graph.invoke(Command(resume=resume_payload(decision, olga)), config())["outcome"]
    ctx = ToolContext(runtime=gate.runtime, principal=who(gate, "wendy.owner"), thread_id=THREAD)

    restarts.release.clear()  # the first run holds until the second attempt was made
    first: list[ToolResult] = []
    running = threading.Thread(target=lambda: first.append(gate.execute(restart_call(), ctx, approval)))
    running.start()
    assert restarts.running.wait(10)
    second = gate.execute(restart_call(), ctx, approval)
    restarts.release.set()
    running.join(10)

    assert not second.ok and "another process is running" in second.error
    assert first[0].ok and restarts.runs == ["widget-lab"]
    assert gate.store.status(request.id) == "executed"
    again = gate.execute(restart_call(), ctx, approval)
    assert again.ok and again.note == "already executed for this approval; not run again"
    assert again.data == gate.outcome(request.id) and again.data["data"] == {"restarted": "widget-lab"}
    assert restarts.runs == ["widget-lab"]


def test_a_call_without_an_approval_or_with_other_arguments_never_runs(gate, restarts):
    ctx = ToolContext(runtime=gate.runtime, principal=who(gate, "wendy.owner"), thread_id=THREAD)
    assert "approval missing" in gate.execute(restart_call(), ctx, None).error
    forged = {"status": "approved", "run_args": {"name": "widget-api"}, "approved_hash": "x", "request": {"id": "r"}}
    assert "differ from the approved" in gate.execute(restart_call(), ctx, forged).error
    assert restarts.runs == []
