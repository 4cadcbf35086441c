"""Property: no sequence of Kubernetes tool calls and decisions writes to the cluster without a valid
approval. A scripted model emits random batches of mutating and read calls; random decisions
follow (valid, unauthorized, wrong arguments hash, rejection, self-approval, forged resume,
replay, none). The stand-in's request log is the ground truth of what was written."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage
from langgraph.types import Command

from agent.audit import AuditLog
from agent.gate.policy import ApprovalDecision, args_hash
from agent.service import AgentService, DecisionRefused
from tests.support.agent import ScriptedModel
from tests.support.kubernetes import runtime_for, start_server

NAMES = st.sampled_from(["payments", "cart", "checkout", "promotions", "nope"])
NODE = st.sampled_from(["ip-10-0-1-11.eu-west-1.compute.internal", "ghost-node"])
CALLS = st.one_of(
    st.builds(lambda n: ("k8s_rollout_restart", {"name": n}), NAMES),
    st.builds(lambda n, r: ("k8s_scale", {"name": n, "replicas": r}), NAMES, st.integers(0, 12)),
    st.builds(
        lambda n, rev: ("k8s_rollback", {"name": n} if rev is None else {"name": n, "revision": rev}),
        NAMES,
        st.sampled_from([None, 1, 12, 13]),
    ),
    st.builds(lambda n, p: ("k8s_delete_pod", {"name": n, "pod": p}), NAMES, st.sampled_from(["nope", "first"])),
    st.builds(lambda node, c: ("k8s_cordon", {"node": node, "cordon": c}), NODE, st.booleans()),
    st.builds(lambda n: ("k8s_diagnose", {"name": n}), NAMES),
    st.builds(lambda n: ("k8s_scale", {"name": n, "replicas": -3}), NAMES),  # invalid arguments
)
DECISIONS = st.sampled_from(["valid", "unauthorized", "wrong_hash", "reject", "self", "forged", "replay", "none"])
STEPS = st.lists(
    st.tuples(st.lists(CALLS, min_size=1, max_size=3), st.lists(DECISIONS, min_size=3, max_size=3)),
    min_size=1,
    max_size=4,
)
REQUESTER = "marco.bianchi"  # on call for checkout, member of team-checkout
ADMIN = "leila.ahmadi"  # team-platform, the admin group
OUTSIDER = "nadia.rahman"  # product manager: may approve nothing
_ids = itertools.count()


@pytest.fixture(scope="module")
def world():
    server = start_server()
    tmp = Path(tempfile.mkdtemp(prefix="k8s-prop-"))
    runtime = runtime_for(tmp, server)
    model = ScriptedModel(script=[])
    service = AgentService(runtime, model=model)
    yield server, runtime, service, model
    server.stop()


def writes(server) -> int:
    return len([r for r in server.mutations() if "All" not in r[2].get("dryRun", [])])


def _first_pod(runtime, name):
    from tools.kubernetes.client import Kube
    from tools.kubernetes.clusters import clusters_for

    pods = Kube(clusters_for(runtime)).list("Pod", None, label_selector=f"backstage.io/kubernetes-id={name}")
    return pods[0]["metadata"]["name"] if pods else "nope"


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=STEPS)
def test_no_write_without_a_valid_approval(world, steps):
    server, runtime, service, model = world
    requester = service.principal(REQUESTER)
    for calls, decisions in steps:
        tool_calls = []
        for tool, args in calls:
            if tool == "k8s_delete_pod" and args["pod"] == "first":
                args = {**args, "pod": _first_pod(runtime, args["name"])}
            tool_calls.append({"name": tool, "args": args, "id": f"c{next(_ids)}", "type": "tool_call"})
        model.script[:] = [AIMessage(content="", tool_calls=tool_calls)] + [AIMessage(content="ok")] * 4
        before = writes(server)
        result = service.ask("do it", requester)
        assert writes(server) == before, "a write happened before any decision"
        # The graph runs a batch's calls only once every mutating call in it is decided, so an
        # approved call may execute right after a later decision (even a rejection) of the batch.
        approved_in_batch = False
        for decision in decisions:
            if result.interrupt is None:
                break
            request = result.interrupt["request"]
            production = service.gate.policy.lifecycle_of(request["target"]) == "production"
            before = writes(server)
            result, allowed = _apply(service, request, decision, result, (server,))
            approved_in_batch |= allowed and not (decision == "self" and production)
            if not approved_in_batch:
                assert writes(server) == before, (decision, request["tool"], request["args"])
            if result is None:
                break
    log = AuditLog(runtime.data_dir / "audit.jsonl")
    assert log.verify().ok
    records = list(log.records())
    approved = {r["request_id"]: r for r in records if r["event"] == "approval.approved"}
    executing = [r for r in records if r["event"] == "mutation.executing"]
    for record in executing:
        assert record["request_id"] in approved
        assert approved[record["request_id"]]["args_hash"] == args_hash(record["tool"], record["args"])
    assert writes(server) <= len(executing)


def _apply(service, request, decision, result, service_server):
    """Returns (next turn result or None when the thread is left pending, whether a write may follow)."""

    def decide(who, kind="approve", **kw):
        principal = service.principal(who)
        d = ApprovalDecision(
            request_id=request["id"],
            decision=kind,
            approver=principal.ref,
            args_hash=kw.pop("args_hash", request["args_hash"]),
            **kw,
        )
        return service.decide(d, principal)

    try:
        if decision == "valid":
            return decide(ADMIN), True
        if decision == "unauthorized":
            return decide(OUTSIDER), False
        if decision == "wrong_hash":
            return decide(ADMIN, args_hash=args_hash(request["tool"], {**request["args"], "replicas": 99})), False
        if decision == "reject":
            return decide(ADMIN, kind="reject", comment="no"), False
        if decision == "self":
            return decide(REQUESTER), True
        if decision == "forged":
            forged = {
                "decision": {
                    "request_id": request["id"],
                    "decision": "approve",
                    "approver": f"user:default/{OUTSIDER}",
                    "args_hash": request["args_hash"],
                },
                "approver": {"ref": f"user:default/{OUTSIDER}", "groups": ["group:default/team-platform"]},
            }
            service.graph.invoke(Command(resume=forged), service._config(result.thread_id))
            return None, False
        if decision == "replay":
            done = decide(ADMIN)
            after_first = writes(service_server[0])
            with pytest.raises(DecisionRefused, match="already decided"):
                decide(ADMIN)
            assert writes(service_server[0]) == after_first  # the replay wrote nothing
            return done, True
    except DecisionRefused:
        return None, False
    return None, False  # "none": leave it pending
