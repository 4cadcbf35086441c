"""Delete one pod of a component: its controller replaces it (the preview says when nothing will)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from contract.tooling import ToolContext
from tools.kubernetes.analyzers.base import is_ready
from tools.kubernetes.args import EntityArgs
from tools.kubernetes.errors import KubeError
from tools.kubernetes.remediations.base import Change, Planned, Remediation

if TYPE_CHECKING:
    from tools.kubernetes.client import Kube


class DeletePodArgs(EntityArgs):
    pod: str = Field(description="Name of the pod to delete (its controller replaces it)")


class DeletePod(Remediation):
    kind = "delete_pod"
    description = "Delete one pod of a component (its controller replaces it). Needs approval."
    schema = DeletePodArgs
    action = "delete pod"
    base_risk = "low"

    def plan(self, kube: Kube, args: DeletePodArgs, ctx: ToolContext) -> Planned:
        from tools.kubernetes.mapping import target_for

        target = target_for(ctx.runtime, args.name)
        if (reason := target.not_changeable()) and not target.owner:  # a ReplicaSet's or Job's pod may go
            raise KubeError(reason, kind="bad_request")
        pods = kube.list("Pod", target.namespace, label_selector=target.selector)
        found = next((p for p in pods if p["metadata"]["name"] == args.pod), None)
        if found is None:
            raise KubeError(
                f"pod {args.pod} does not belong to this entity ({target.selector}); its pods: "
                f"{', '.join(p['metadata']['name'] for p in pods[:6]) or 'none'}",
                kind="not_found",
            )
        owner = next((o for o in found["metadata"].get("ownerReferences") or []), None)
        after = (
            f"its {owner['kind']} {owner['name']} will create a replacement"
            if owner
            else "it has no controller: it will NOT be replaced"
        )
        namespace = found["metadata"]["namespace"]
        change = Change("delete", "Pod", namespace, args.pod, describe=f"delete pod {namespace}/{args.pod}; {after}")
        return Planned(kube, change, target)

    def verify(self, planned: Planned, args: DeletePodArgs) -> dict[str, Any]:
        target = planned.target
        pods = planned.kube.list("Pod", target.namespace, label_selector=target.selector)
        names = [p["metadata"]["name"] for p in pods]
        return {
            "verification": {
                "verified": args.pod not in names,
                "pods": [f"{p['metadata']['name']} {'ready' if is_ready(p) else 'not ready'}" for p in pods[:8]],
            }
        }


remediation = DeletePod()
