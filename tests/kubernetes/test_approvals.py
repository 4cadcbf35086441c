"""Kubernetes remediations through the real graph and the offline planner: every change waits for an
approval bound to its exact arguments, and every request, decision and result is in the hash-chained
audit log. The cluster is the stand-in over HTTP; "executed" is read from its request log."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.audit import AuditLog
from agent.gate.policy import ApprovalDecision, args_hash
from agent.service import AgentService, DecisionRefused
from portal_agent.cli import app
from tests.support.kubernetes import runtime_for
from tools.kubernetes.client import Kube
from tools.kubernetes.clusters import clusters_for


def writes(server):
    return [r for r in server.mutations() if "All" not in r[2].get("dryRun", [])]


def dry_runs(server):
    return [r for r in server.mutations() if "All" in r[2].get("dryRun", [])]


@pytest.fixture
def service(runtime):
    return AgentService(runtime)


def ask(service, text, who="marco.bianchi"):
    return service.ask(text, service.principal(who))


def decide(service, request, who, kind="approve", **kw):
    approver = service.principal(who)
    decision = ApprovalDecision(
        request_id=request["id"],
        decision=kind,
        approver=approver.ref,
        args_hash=kw.pop("args_hash", request["args_hash"]),
        **kw,
    )
    return service.decide(decision, approver)


def audit(runtime) -> AuditLog:
    return AuditLog(runtime.data_dir / "audit.jsonl")


def test_rollback_asks_for_approval_with_a_dry_run_preview(service, server):
    result = ask(service, "roll back checkout")
    assert result.interrupt is not None
    request = result.interrupt["request"]
    assert request["tool"] == "k8s_rollback" and request["args"]["revision"] == 13  # explicit, bound
    assert request["target"] == "component:default/checkout" and request["four_eyes"] is True
    assert request["preview"]["summary"] == "roll back Deployment commerce/checkout from revision 14 to revision 13"
    assert "checkout:2.14.0 → registry.tessera.example/checkout:2.13.2" in request["preview"]["details"]
    assert set(request["approvers"]) >= {
        "group:default/team-checkout",
        "user:default/hannah.okafor",
        "group:default/team-platform",
    }
    assert dry_runs(server) and writes(server) == []


def test_approved_rollback_executes_once_verifies_and_is_audited(service, runtime, server):
    request = ask(service, "roll back checkout").interrupt["request"]
    done = decide(service, request, "hannah.okafor")
    assert done.answer.startswith("Done: roll back Deployment commerce/checkout from revision 14 to revision 13")
    assert "Verified" in done.answer
    assert [w[1] for w in writes(server)] == ["/apis/apps/v1/namespaces/commerce/deployments/checkout"]
    dep = Kube(clusters_for(runtime)).get("Deployment", "commerce", "checkout")
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.13.2")
    events = [r["event"] for r in audit(runtime).records()]
    assert events == ["approval.requested", "approval.approved", "mutation.executing", "mutation.result"]
    result = audit(runtime).find(event="mutation.result")[0]
    assert result["ok"] is True and result["result"]["data"]["verification"]["verified"] is True
    assert audit(runtime).verify().ok
    with pytest.raises(DecisionRefused, match="already decided"):
        decide(service, request, "hannah.okafor")  # a replayed decision
    assert len(writes(server)) == 1
    after = ask(service, "why is checkout failing?")
    assert "no problem" in after.answer


def test_rejection_changes_nothing(service, runtime, server):
    request = ask(service, "restart payments in prod").interrupt["request"]
    done = decide(service, request, "lukas.weber", kind="reject", comment="not during the sale")
    assert writes(server) == []
    assert "not done" in done.answer and "not during the sale" in done.answer
    assert [r["event"] for r in audit(runtime).records()][-1] == "approval.rejected"


def test_unauthorized_approver_and_four_eyes(service, server):
    request = ask(service, "restart payments").interrupt["request"]
    with pytest.raises(DecisionRefused, match="may not approve"):
        decide(service, request, "arjun.patel")  # team-search: not an owner, on-call or admin of payments
    assert service.gate.store.status(request["id"]) == "pending"
    own = ask(service, "roll back checkout").interrupt["request"]  # marco is checkout's on-call
    with pytest.raises(DecisionRefused, match="requester may not approve"):
        decide(service, own, "marco.bianchi")
    assert writes(server) == []
    decide(service, request, "leila.ahmadi")  # admin group team-platform
    assert len(writes(server)) == 1


def test_expired_request_is_not_executed(tmp_path, server):
    runtime = runtime_for(tmp_path, server, approval_ttl_minutes=0)
    service = AgentService(runtime)
    request = ask(service, "restart payments").interrupt["request"]
    decide(service, request, "lukas.weber")
    assert writes(server) == []
    assert service.gate.store.status(request["id"]) == "refused"


def test_arguments_edited_after_the_request_are_refused(service, server):
    request = ask(service, "scale cart to 4").interrupt["request"]
    assert request["args"] == {"name": "component:default/cart", "cluster": None, "replicas": 4}
    forged = args_hash("k8s_scale", {**request["args"], "replicas": 40})
    with pytest.raises(DecisionRefused, match="arguments changed"):
        decide(service, request, "hannah.okafor", args_hash=forged)
    assert writes(server) == []
    decide(service, request, "hannah.okafor", kind="edit", edited_args={"name": "cart", "replicas": 2})
    [write] = writes(server)
    assert write[1].endswith("/deployments/cart/scale")
    assert (
        len(Kube(clusters_for(service.runtime)).list("Pod", "commerce", label_selector="app.kubernetes.io/name=cart"))
        == 2
    )


def test_hpa_aware_scale_preview(service, server):
    request = ask(service, "scale search to 12 replicas").interrupt["request"]
    assert "raise its maxReplicas 8 → 12" in request["preview"]["summary"]
    assert "HorizontalPodAutoscaler spec.maxReplicas: 8 → 12" in request["preview"]["details"]


def test_failed_dry_run_refuses_the_request(tmp_path, server):
    server.tokens["viewer-token"] = "viewer"
    service = AgentService(runtime_for(tmp_path, server, token="viewer-token"))
    result = ask(service, "restart payments")
    assert result.interrupt is None and writes(server) == []
    assert "dry run" in result.answer and "403" in result.answer


def test_read_only_setting_and_read_only_people(tmp_path, server):
    runtime = runtime_for(tmp_path, server, read_only=True)
    assert not {"k8s_rollout_restart", "k8s_scale", "k8s_rollback", "k8s_delete_pod", "k8s_cordon"} & set(runtime.tools)
    service = AgentService(runtime)
    result = ask(service, "restart payments")
    assert result.interrupt is None and writes(server) == []
    assert "not enabled here" in result.answer and "read-only" in result.answer
    rollback = ask(service, "roll back checkout")  # reads the history, then stops before the change
    assert rollback.interrupt is None and "not enabled here" in rollback.answer
    stranger = AgentService(runtime_for(tmp_path / "b", server)).ask(
        "restart payments", service.principal("nobody.known")
    )
    assert stranger.interrupt is None and writes(server) == []
    assert "read-only access" in stranger.answer


def test_audit_chain_detects_tampering_with_real_mutations(service, runtime, server):
    request = ask(service, "scale cart to 5").interrupt["request"]
    decide(service, request, "hannah.okafor")
    request = ask(service, "restart payments").interrupt["request"]
    decide(service, request, "lukas.weber")
    log = audit(runtime)
    assert log.verify().ok and log.verify().records == 8
    cli = CliRunner()
    assert cli.invoke(app, ["audit", "verify", str(log.path)]).exit_code == 0
    lines = log.path.read_text().splitlines()
    edited = json.loads(lines[1])
    edited["args"]["replicas"] = 50  # someone rewrites what was approved
    tampered = [lines[0], json.dumps(edited), *lines[2:]]
    log.path.write_text("\n".join(tampered) + "\n")
    report = log.verify()
    assert not report.ok and report.first_bad_line == 2 and "altered" in report.reason
    out = cli.invoke(app, ["audit", "verify", str(log.path)])
    assert out.exit_code == 1 and "TAMPERED at line 2" in out.output
    log.path.write_text("\n".join([*lines[:3], *lines[4:]]) + "\n")  # a deleted record
    assert "chain broken" in log.verify().reason
