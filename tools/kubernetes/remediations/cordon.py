"""Cordon or uncordon a node: a cluster-wide change, so its approval target is the cluster, for admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from contract.tooling import ToolContext
from tools.kubernetes.remediations.base import Change, Planned, Remediation

if TYPE_CHECKING:
    from tools.kubernetes.client import Kube


class CordonArgs(BaseModel):
    node: str = Field(description="Node name")
    cordon: bool = Field(True, description="True to cordon (stop scheduling), False to uncordon")
    cluster: str | None = Field(None, description="Cluster (kubeconfig context) name; default: the first one")


class Cordon(Remediation):
    kind = "cordon"
    description = "Cordon or uncordon a node (stop/allow scheduling). Needs approval by an admin."
    schema = CordonArgs
    action = "cordon node"
    base_risk = "high"

    def target(self, args: CordonArgs, ctx: ToolContext) -> str:
        from tools.kubernetes.clusters import clusters_for

        return f"resource:default/{clusters_for(ctx.runtime).resolve(args.cluster)}"

    def risk(self, args: CordonArgs, ctx: ToolContext) -> str:
        return self.base_risk  # a node is no component: no lifecycle to raise it by

    def plan(self, kube: Kube, args: CordonArgs, ctx: ToolContext) -> Planned:
        verb = "cordon" if args.cordon else "uncordon"
        effect = (
            "no new pods will be scheduled on it (running pods stay)"
            if args.cordon
            else "new pods may be scheduled on it again"
        )
        change = Change(
            "patch",
            "Node",
            None,
            args.node,
            {"spec": {"unschedulable": True if args.cordon else None}},
            describe=f"{verb} node {args.node}: {effect}",
            details=[f"spec.unschedulable: {'true' if args.cordon else 'unset'}"],
        )
        return Planned(kube, change)

    def after(self, planned: Planned, spec: dict[str, Any]) -> dict[str, Any]:
        return {"unschedulable": bool(spec.get("unschedulable"))}

    def verify(self, planned: Planned, args: CordonArgs) -> dict[str, Any]:
        node = planned.kube.get("Node", None, args.node)
        unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
        return {"verification": {"verified": unschedulable == args.cordon, "unschedulable": unschedulable}}


remediation = Cordon()
