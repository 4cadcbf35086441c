"""The remediation registry: every mutating Kubernetes tool is one registered remediation, built the same way."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from contract.tooling import ToolContext
from tools.kubernetes import remediations
from tools.kubernetes.args import EntityArgs
from tools.kubernetes.errors import KubeError
from tools.kubernetes.mapping import Target
from tools.kubernetes.remediations import REMEDIATIONS, Remediation
from tools.kubernetes.remediations.base import Change, Planned
from tools.kubernetes.tools import build_tools

EXPECTED = {  # tool name -> (kind, action, argument schema's fields)
    "k8s_rollout_restart": ("restart", "rollout restart", {"name", "cluster"}),
    "k8s_scale": ("scale", "scale", {"name", "cluster", "replicas"}),
    "k8s_rollback": ("rollback", "rollback", {"name", "cluster", "revision"}),
    "k8s_delete_pod": ("delete_pod", "delete pod", {"name", "cluster", "pod"}),
    "k8s_cordon": ("cordon", "cordon node", {"node", "cordon", "cluster"}),
}


def test_every_mutating_tool_is_a_registered_remediation(runtime):
    mutating = {t.name: t for t in build_tools(runtime) if t.mutating}
    assert list(mutating) == list(REMEDIATIONS) == list(EXPECTED)
    for name, tool in mutating.items():
        remediation = REMEDIATIONS[name]
        kind, action, fields = EXPECTED[name]
        assert isinstance(remediation, Remediation)
        assert (remediation.kind, tool.action) == (kind, action)
        assert tool.args_schema is remediation.schema and set(remediation.schema.model_fields) == fields
        assert tool.description == remediation.description and tool.description.rstrip().endswith(
            ("Needs approval.", "Needs approval by an admin.")
        )
        assert tool.func == remediation.execute and tool.preview == remediation.preview
        assert tool.target == remediation.target and tool.risk == remediation.risk


@pytest.mark.parametrize(
    ("name", "lifecycle", "risk"),
    [
        ("k8s_rollout_restart", "experimental", "medium"),
        ("k8s_rollout_restart", "production", "high"),
        ("k8s_delete_pod", "experimental", "low"),
        ("k8s_delete_pod", "production", "medium"),
    ],
)
def test_risk_rises_one_step_for_a_production_component(monkeypatch, name, lifecycle, risk):
    target = Target(ref="component:default/x", name="x", selector="app=x", namespace=None, lifecycle=lifecycle)
    monkeypatch.setattr("tools.kubernetes.mapping.target_for", lambda runtime, ref: target)
    remediation = REMEDIATIONS[name]
    assert remediation.risk(remediation.schema(name="x", pod="p"), _ctx()) == risk


def test_cordon_is_high_risk_whatever_the_lifecycle():
    cordon = REMEDIATIONS["k8s_cordon"]
    assert cordon.risk(cordon.schema(node="n1"), _ctx()) == "high"


class _Probe(Remediation):
    """A remediation with scripted plan and verify, to check the flow every remediation shares."""

    kind = "probe"
    description = "Probe. Needs approval."
    schema = EntityArgs
    action = "probe"

    def __init__(self, plan_error: KubeError | None = None, verify_error: KubeError | None = None):
        self.plan_error, self.verify_error = plan_error, verify_error
        self.applied: list[bool] = []

    def plan(self, kube: Any, args: BaseModel, ctx: ToolContext) -> Planned:
        if self.plan_error:
            raise self.plan_error
        change = Change("patch", "Deployment", "ns", "x", {}, describe="probe ns/x", details=["a detail"])
        change.apply = lambda kube, *, dry_run: self.applied.append(dry_run) or {"spec": {"replicas": 2}}
        target = Target(ref="component:default/x", name="x", selector="app=x", namespace="ns")
        return Planned(kube, change, target)

    def after(self, planned: Planned, spec: dict[str, Any]) -> dict[str, Any]:
        return {"replicas": spec.get("replicas")}

    def verify(self, planned: Planned, args: BaseModel) -> dict[str, Any]:
        if self.verify_error:
            raise self.verify_error
        return {"verification": {"verified": True}}


class _Kube:
    cluster = "c1"


@pytest.fixture
def fake_kube(monkeypatch):
    monkeypatch.setattr("tools.kubernetes.client.kube_for", lambda runtime, cluster: _Kube())


def _ctx() -> ToolContext:
    """A context whose runtime is never reached: the tests stub what would read it."""
    return ToolContext(runtime=None, principal=None)


def test_the_preview_is_a_dry_run_of_the_plan(fake_kube):
    probe = _Probe()
    preview = probe.preview(EntityArgs(name="x"), _ctx())
    assert probe.applied == [True]
    assert preview.summary == "probe ns/x" and preview.ok
    assert preview.details.splitlines() == [
        "server-side dry run (dryRun=All) on cluster c1: accepted",
        "a detail",
        "result: replicas=2",
    ]


def test_a_plan_that_fails_refuses_the_preview_and_the_execution(fake_kube):
    probe = _Probe(plan_error=KubeError("no such workload", kind="not_found"))
    preview = probe.preview(EntityArgs(name="x"), _ctx())
    assert not preview.ok and preview.error == "no such workload"
    result = probe.execute(EntityArgs(name="x"), _ctx())
    assert not result.ok and result.error == "not applied: no such workload"
    assert result.query == {"tool": "k8s_probe", "name": "x"} and probe.applied == []


def test_execution_applies_verifies_and_reports(fake_kube):
    probe = _Probe()
    result = probe.execute(EntityArgs(name="x"), _ctx())
    assert probe.applied == [False]
    assert result.ok and result.data == {"applied": "probe ns/x", "verification": {"verified": True}}
    assert result.refs == ["component:default/x"] and result.source == "cluster c1" and result.note is None


def test_a_change_that_cannot_be_verified_says_so(fake_kube):
    probe = _Probe(verify_error=KubeError("timed out"))
    result = probe.execute(EntityArgs(name="x"), _ctx())
    assert result.data["verification"] == {"verified": False, "reason": "applied, but could not verify: timed out"}
    assert result.note == "the change was applied but did not verify: applied, but could not verify: timed out"


def test_a_registered_remediation_becomes_an_approval_gated_tool(monkeypatch, runtime):
    monkeypatch.setitem(remediations.REMEDIATIONS, "k8s_probe", _Probe())
    tool = next(t for t in build_tools(runtime) if t.name == "k8s_probe")
    assert tool.mutating and tool.action == "probe" and tool.preview is not None and tool.target is not None
