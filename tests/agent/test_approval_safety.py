"""The approval gate against the holes a security review found: an edit that moves a change onto a
production entity, new input on a conversation that waits for a decision, stale and stuck claims.

Through the real graph, service and SQLite stores, with a scripted model (the widget tools) and,
for the demo's own four-eyes case, the demo organisation against the Kubernetes API stand-in."""

from __future__ import annotations

import asyncio
import time

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.types import Command

from agent.gate.policy import ApprovalDecision, ApprovalPolicy, args_hash
from agent.service import AgentService, AwaitingApproval, DecisionRefused, resume_payload
from contract.tooling import Preview
from tests.support.agent import DATA, ScriptedModel, call, executions, make_runtime, restart_then_answer

LAB = [call("restart_widget", {"name": "widget-lab"}), AIMessage(content="ok")]
EDIT_TO_PRODUCTION = {"name": "widget-api", "replicas": 1}


def service_with(runtime, script) -> AgentService:
    return AgentService(runtime, model=ScriptedModel(script=script))


def ask(service, text, who, thread_id=None):
    return service.ask(text, service.principal(who), thread_id=thread_id)


def decision(service, request, who, kind="approve", **kw) -> tuple[ApprovalDecision, object]:
    approver = service.principal(who)
    made = ApprovalDecision(
        request_id=request["id"], decision=kind, approver=approver.ref, args_hash=request["args_hash"], **kw
    )
    return made, approver


def decide(service, request, who, kind="approve", **kw):
    return service.decide(*decision(service, request, who, kind, **kw))


def tool_messages(service, thread_id) -> list[ToolMessage]:
    messages = service.graph.get_state(service._config(thread_id)).values["messages"]
    return [m for m in messages if isinstance(m, ToolMessage)]


# --- 1. an edit is a new request, checked as one -------------------------------------------------
def test_an_edit_recomputes_everything_from_the_edited_arguments(tmp_path):
    runtime = make_runtime(tmp_path)
    policy = ApprovalPolicy(runtime.catalog, admin_groups=["team-admins"])
    preview = Preview(summary="would restart")
    original = policy.new_request(
        tool="restart_widget",
        action="restart",
        args={"name": "widget-lab", "replicas": 1},
        target="component:default/widget-lab",
        requested_by="user:default/wendy.owner",
        preview=preview,
        risk="low",
        tool_call_id="c1",
        thread_id="t1",
    )
    assert original.four_eyes is False and original.lifecycle == "experimental"
    edited = policy.edited(
        original, args=EDIT_TO_PRODUCTION, target="component:default/widget-api", preview=preview, risk="high"
    )
    assert edited.id == original.id and edited.requested_by == original.requested_by
    assert edited.expires_at == original.expires_at  # an edit does not extend the request's life
    assert edited.four_eyes is True and edited.lifecycle == "production" and edited.risk == "high"
    assert edited.approvers == policy.approvers_for("component:default/widget-api")
    assert edited.args_hash == args_hash("restart_widget", EDIT_TO_PRODUCTION)


def test_requester_approving_their_own_edit_onto_production_is_refused(tmp_path):
    runtime = make_runtime(tmp_path)
    service = service_with(runtime, LAB)
    # wendy is in team-widgets, which owns both widgets: she may approve widget-lab (experimental).
    request = ask(service, "restart widget-lab", "wendy.owner").interrupt["request"]
    assert request["four_eyes"] is False
    with pytest.raises(DecisionRefused, match="widget-api is in production: the requester may not approve"):
        decide(service, request, "wendy.owner", kind="edit", edited_args=EDIT_TO_PRODUCTION)
    assert executions(runtime) == []
    assert service.gate.store.status(request["id"]) == "pending"  # someone else may still decide it
    refused = service.gate.audit.find(event="approval.refused", request_id=request["id"])
    assert refused[-1]["approver"] == "user:default/wendy.owner" and refused[-1]["kept_pending"] is True
    assert service.gate.audit.find(event="approval.approved") == []

    # Another approver of the edited target may approve the same edit; the record says what ran.
    decide(service, request, "olga.oncall", kind="edit", edited_args=EDIT_TO_PRODUCTION)
    assert executions(runtime) == [{"name": "widget-api", "replicas": 1, "by": "user:default/wendy.owner"}]
    approved = service.gate.audit.find(event="approval.approved", request_id=request["id"])[0]
    assert approved["target"] == "component:default/widget-api" and approved["args"] == EDIT_TO_PRODUCTION
    stored, status = service.gate.store.get(request["id"])
    assert status == "executed" and stored.target == "component:default/widget-api" and stored.four_eyes


def test_a_forged_self_edit_straight_into_the_graph_is_refused_there_too(tmp_path):
    runtime = make_runtime(tmp_path)
    service = service_with(runtime, LAB)
    result = ask(service, "restart widget-lab", "wendy.owner")
    made, approver = decision(
        service, result.interrupt["request"], "wendy.owner", kind="edit", edited_args=EDIT_TO_PRODUCTION
    )
    service.graph.invoke(Command(resume=resume_payload(made, approver)), service._config(result.thread_id))
    assert executions(runtime) == []
    assert "requester may not approve" in tool_messages(service, result.thread_id)[-1].content
    assert service.gate.store.status(made.request_id) == "refused"
    assert service.gate.audit.find(event="approval.refused", request_id=made.request_id)


def test_an_edit_onto_another_target_needs_an_approver_of_both(tmp_path):
    runtime = make_runtime(tmp_path, catalog=[str(DATA / "catalog.yaml"), str(DATA / "other_team.yaml")])
    service = service_with(runtime, [call("restart_widget", {"name": "gadget-api"}), AIMessage(content="ok")])
    request = ask(service, "restart gadget-api", "oscar.other").interrupt["request"]
    # olga may approve widget-api, but not gadget-api, the request she was shown.
    with pytest.raises(DecisionRefused, match="oncall may not approve this"):
        decide(service, request, "olga.oncall", kind="edit", edited_args=EDIT_TO_PRODUCTION)
    assert executions(runtime) == [] and service.gate.store.status(request["id"]) == "pending"
    decide(service, request, "ada.admin", kind="edit", edited_args=EDIT_TO_PRODUCTION)  # admins may both
    assert executions(runtime)[0]["name"] == "widget-api"


def test_demo_marco_cannot_approve_his_own_edit_of_promotions_onto_checkout(tmp_path):
    from tests.support.kubernetes import runtime_for, start_server

    server = start_server()
    try:
        runtime = runtime_for(tmp_path, server)
        service = AgentService(runtime)
        request = ask(service, "restart promotions", "marco.bianchi").interrupt["request"]
        assert request["lifecycle"] == "experimental" and request["four_eyes"] is False
        edited = {**request["args"], "name": "component:default/checkout"}
        with pytest.raises(DecisionRefused, match="checkout is in production: the requester may not approve"):
            decide(service, request, "marco.bianchi", kind="edit", edited_args=edited)
        writes = [m for m in server.mutations() if "All" not in m[2].get("dryRun", [])]
        assert writes == [] and service.gate.audit.find(event="approval.approved") == []
        assert service.gate.audit.find(event="approval.refused", request_id=request["id"])
    finally:
        server.stop()


# --- 2. a conversation waiting for a decision takes no new input ---------------------------------
def test_every_entry_point_refuses_new_input_while_an_approval_is_pending(tmp_path):
    runtime = make_runtime(tmp_path)
    service = service_with(runtime, [*restart_then_answer(), AIMessage(content="never reached")])
    result = ask(service, "restart widget-api", "wendy.owner")
    thread, request_id = result.thread_id, result.interrupt["request"]["id"]
    wendy = service.principal("wendy.owner")
    assert service.pending_approval(thread).id == request_id

    async def async_entry_points():
        assert (await service.apending_approval(thread)).id == request_id
        with pytest.raises(AwaitingApproval):
            await service.aask("and now?", wendy, thread_id=thread)
        with pytest.raises(AwaitingApproval) as refused:
            async for _ in service.astream(service._input("and now?", wendy), thread):
                pass
        return refused.value

    refused = asyncio.run(async_entry_points())
    assert refused.request.id == request_id and "decide it first" in str(refused)
    assert isinstance(refused, DecisionRefused)
    with pytest.raises(AwaitingApproval):
        list(service.stream("and now?", wendy, thread_id=thread))
    assert service.gate.store.status(request_id) == "pending"
    # The decision itself is of course accepted, and the thread takes questions again afterwards.
    assert decide(service, result.interrupt["request"], "olga.oncall").answer == "done"
    assert service.pending_approval(thread) is None and len(executions(runtime)) == 1


def test_an_expired_request_does_not_hold_its_thread(tmp_path):
    runtime = make_runtime(tmp_path, approval_ttl_minutes=0)
    service = service_with(runtime, [*restart_then_answer(), AIMessage(content="next answer")])
    result = ask(service, "restart widget-api", "wendy.owner")
    request_id = result.interrupt["request"]["id"]
    after = ask(service, "something else", "wendy.owner", thread_id=result.thread_id)
    assert after.answer == "next answer" and executions(runtime) == []
    assert service.gate.store.status(request_id) == "refused"
    assert "expired" in service.gate.audit.find(event="approval.refused", request_id=request_id)[-1]["reason"]


def _strand(service, thread_id, who="wendy.owner"):
    """Input pushed straight into the graph past a pending interrupt, as connectors once did."""
    service.graph.invoke(service._input("restart widget-lab", service.principal(who)), service._config(thread_id))


def test_approving_a_stale_request_never_decides_the_live_one(tmp_path):
    runtime = make_runtime(tmp_path)
    script = [*restart_then_answer()[:1], call("restart_widget", {"name": "widget-lab"}, "c2"), AIMessage("ok")]
    service = service_with(runtime, script)
    first = ask(service, "restart widget-api", "wendy.owner")
    stale = first.interrupt["request"]
    _strand(service, first.thread_id)
    live = service.pending_approval(first.thread_id)
    assert live is not None and live.id != stale["id"]

    with pytest.raises(DecisionRefused, match="stale"):
        decide(service, stale, "olga.oncall")
    assert service.gate.store.status(stale["id"]) == "refused"  # closed, never left deciding
    assert service.gate.store.status(live.id) == "pending"
    assert service.pending_approval(first.thread_id).id == live.id
    decide(service, live.model_dump(mode="json"), "olga.oncall")
    assert executions(runtime) == [{"name": "widget-lab", "replicas": 1, "by": "user:default/wendy.owner"}]


def test_the_expiry_sweep_closes_a_stale_request_without_resuming_anything(tmp_path):
    runtime = make_runtime(tmp_path, approval_ttl_minutes=0)
    script = [*restart_then_answer()[:1], call("restart_widget", {"name": "widget-lab"}, "c2"), AIMessage("ok")]
    service = service_with(runtime, script)
    first = ask(service, "restart widget-api", "wendy.owner")
    _strand(service, first.thread_id)
    stale, _ = service.gate.store.get(first.interrupt["request"]["id"])
    before = len(service.graph.get_state(service._config(first.thread_id)).values["messages"])
    assert asyncio.run(service.aexpire(stale)) is None
    assert service.gate.store.status(stale.id) == "refused"
    # The thread's live request was not resumed by the stale one's expiry.
    assert len(service.graph.get_state(service._config(first.thread_id)).values["messages"]) == before
    assert stale.id not in [r.id for r in service.overdue()]


# --- 3a. a decision claim is a lease --------------------------------------------------------------
def test_a_decision_claim_lapses_after_its_lease(tmp_path):
    runtime = make_runtime(tmp_path, approval_claim_lease_seconds=1)
    service = service_with(runtime, restart_then_answer())
    result = ask(service, "restart widget-api", "wendy.owner")
    request = result.interrupt["request"]
    made, _ = decision(service, request, "olga.oncall")
    assert service.gate.store.claim(request["id"], "deciding", made)  # held by this (live) process
    with pytest.raises(DecisionRefused, match="already being decided"):
        decide(service, request, "olga.oncall")
    assert service.gate.store.pending() == []
    time.sleep(1.1)
    assert [r.id for r in service.gate.store.pending()] == [request["id"]]  # decidable again
    assert decide(service, request, "olga.oncall").answer == "done"
    assert len(executions(runtime)) == 1 and service.gate.store.status(request["id"]) == "executed"


def test_the_expiry_sweep_closes_a_lapsed_claim_of_an_overdue_request(tmp_path):
    runtime = make_runtime(tmp_path, approval_ttl_minutes=0, approval_claim_lease_seconds=1)
    service = service_with(runtime, restart_then_answer())
    request = ask(service, "restart widget-api", "wendy.owner").interrupt["request"]
    made, _ = decision(service, request, "olga.oncall")
    assert service.gate.store.claim(request["id"], "deciding", made)
    assert service.overdue() == []  # the claim holds it for now
    time.sleep(1.1)
    overdue = service.overdue()
    assert [r.id for r in overdue] == [request["id"]]
    closed = asyncio.run(service.aexpire(overdue[0]))
    assert closed is not None and executions(runtime) == []
    assert service.gate.store.status(request["id"]) == "refused"


def test_a_read_only_caller_sees_the_dry_run_but_no_request_is_made(tmp_path):
    """Previews change nothing, so people who may not request a change still see what it would do."""
    from contract.principal import Principal

    runtime = make_runtime(tmp_path)
    service = service_with(
        runtime, [call("restart_widget", {"name": "widget-api", "replicas": 2}), AIMessage(content="ok")]
    )
    turn = service.ask("restart widget-api", Principal.anonymous(via="web"))
    assert turn.interrupt is None and executions(runtime) == []
    told = tool_messages(service, turn.thread_id)[-1].content
    assert "read-only access" in told and "would restart widget-api with 2 replicas" in told
    assert service.gate.store.with_status("pending") == []
