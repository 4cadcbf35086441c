"""Scale, HPA-aware: a workload an autoscaler controls gets the HPA's bounds moved instead of its replicas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from tools.kubernetes.args import EntityArgs
from tools.kubernetes.remediations.base import Change, Planned, WorkloadRemediation
from tools.kubernetes.remediations.verify import verify_hpa, verify_rollout

if TYPE_CHECKING:
    from tools.kubernetes.client import Kube

HPA = "HorizontalPodAutoscaler"


class ScaleArgs(EntityArgs):
    replicas: int = Field(ge=0, le=500, description="Desired number of replicas")


class Scale(WorkloadRemediation):
    kind = "scale"
    description = (
        "Scale a component's workload to N replicas; if an HPA controls it, adjusts the "
        "HPA's bounds instead. Needs approval."
    )
    schema = ScaleArgs
    action = "scale"

    def change(self, kube: Kube, workload: dict[str, Any], args: ScaleArgs) -> Change:
        replicas = args.replicas
        meta = workload["metadata"]
        ns = meta.get("namespace")
        current = (workload.get("spec") or {}).get("replicas", 1)
        hpa = next(
            (
                h
                for h in kube.list(HPA, ns)
                if (h.get("spec") or {}).get("scaleTargetRef", {}).get("name") == meta["name"]
                and (h.get("spec") or {}).get("scaleTargetRef", {}).get("kind") == workload["kind"]
            ),
            None,
        )
        if hpa is None:
            return Change(
                "patch",
                workload["kind"],
                ns,
                meta["name"],
                {"spec": {"replicas": replicas}},
                subresource="scale",
                describe=f"scale {workload['kind']} {ns}/{meta['name']} from {current} to {replicas} replicas",
                details=[f"spec.replicas: {current} → {replicas}"],
            )
        lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
        name = hpa["metadata"]["name"]
        if replicas > hi:
            body = {"spec": {"maxReplicas": replicas}}
            what = (
                f"HPA {ns}/{name} controls {meta['name']}: raise its maxReplicas {hi} → {replicas} so the "
                f"autoscaler may scale up to {replicas} (it decides the count within min {lo}..max {replicas})"
            )
            details = [f"HorizontalPodAutoscaler spec.maxReplicas: {hi} → {replicas}"]
        elif replicas < lo:
            body = {"spec": {"minReplicas": max(1, replicas)}}
            what = (
                f"HPA {ns}/{name} controls {meta['name']}: lower its minReplicas {lo} → {max(1, replicas)} so the "
                "autoscaler may scale down"
            )
            details = [f"HorizontalPodAutoscaler spec.minReplicas: {lo} → {max(1, replicas)}"]
        else:
            body = {"spec": {"minReplicas": replicas}}
            what = (
                f"HPA {ns}/{name} controls {meta['name']} ({lo}..{hi}): scaling the Deployment directly would be "
                f"undone, so raise minReplicas {lo} → {replicas} to keep at least {replicas} replicas"
            )
            details = [f"HorizontalPodAutoscaler spec.minReplicas: {lo} → {replicas}"]
        return Change("patch", HPA, ns, name, body, describe=what, details=details)

    def after(self, planned: Planned, spec: dict[str, Any]) -> dict[str, Any]:
        if planned.change.kind == HPA:
            return {"minReplicas": spec.get("minReplicas"), "maxReplicas": spec.get("maxReplicas")}
        return {"replicas": spec.get("replicas")}

    def verify(self, planned: Planned, args: ScaleArgs) -> dict[str, Any]:
        change, selector = planned.change, planned.target.selector
        if change.kind != HPA:
            return {"verification": verify_rollout(planned.kube, planned.workload, selector)}
        return {
            "verification": verify_hpa(planned.kube, change.namespace or "", change.name),
            "workload": verify_rollout(planned.kube, planned.workload, selector, timeout=10),
        }


remediation = Scale()
