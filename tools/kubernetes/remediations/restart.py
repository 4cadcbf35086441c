"""Rollout restart: a new ``restartedAt`` template annotation, so every pod is replaced batch by batch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tools.kubernetes.args import EntityArgs
from tools.kubernetes.remediations.base import RESTARTED_AT, Change, Planned, WorkloadRemediation, workload_after
from tools.kubernetes.remediations.verify import verify_rollout

if TYPE_CHECKING:
    from tools.kubernetes.client import Kube


class Restart(WorkloadRemediation):
    kind = "restart"
    description = "Rollout restart of a component's workload (replaces its pods). Needs approval."
    schema = EntityArgs
    action = "rollout restart"

    def change(self, kube: Kube, workload: dict[str, Any], args: EntityArgs) -> Change:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
        replicas = (workload.get("spec") or {}).get("replicas", 1)
        meta = workload["metadata"]
        return Change(
            "patch",
            workload["kind"],
            meta.get("namespace"),
            meta["name"],
            body,
            describe=f"rollout restart of {workload['kind']} {meta.get('namespace')}/{meta['name']}: all "
            f"{replicas} pod(s) are replaced one batch at a time",
            details=[f"set spec.template.metadata.annotations[{RESTARTED_AT}]={now}"],
        )

    def after(self, planned: Planned, spec: dict[str, Any]) -> dict[str, Any]:
        return workload_after(spec)

    def verify(self, planned: Planned, args: EntityArgs) -> dict[str, Any]:
        return {"verification": verify_rollout(planned.kube, planned.workload, planned.target.selector)}


remediation = Restart()
