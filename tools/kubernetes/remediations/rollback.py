"""Rollback (rollout undo): a Deployment's template replaced by an older ReplicaSet's, guarded by resourceVersion."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from tools.kubernetes.args import EntityArgs
from tools.kubernetes.errors import KubeError
from tools.kubernetes.remediations.base import Change, Planned, WorkloadRemediation, workload_after
from tools.kubernetes.remediations.verify import verify_rollout
from tools.kubernetes.workloads import REVISION, template_diff

if TYPE_CHECKING:
    from tools.kubernetes.client import Kube


class RollbackArgs(EntityArgs):
    revision: int | None = Field(None, ge=1, description="Revision to roll back to; default: the previous one")


class Rollback(WorkloadRemediation):
    kind = "rollback"
    description = "Roll a component's Deployment back to a previous revision (rollout undo). Needs approval."
    schema = RollbackArgs
    action = "rollback"

    def change(self, kube: Kube, workload: dict[str, Any], args: RollbackArgs) -> Change:
        if workload["kind"] != "Deployment":
            raise KubeError(
                f"rollback is supported for Deployments; {workload['metadata']['name']} is a {workload['kind']}",
                kind="invalid",
            )
        revision = args.revision
        meta = workload["metadata"]
        ns = meta.get("namespace")
        uid = meta.get("uid")
        rss = [
            r
            for r in kube.list("ReplicaSet", ns)
            if any(o.get("uid") == uid for o in r["metadata"].get("ownerReferences") or [])
        ]
        by_rev = {int((r["metadata"].get("annotations") or {}).get(REVISION, 0)): r for r in rss}
        current = int((meta.get("annotations") or {}).get(REVISION, max(by_rev, default=0)))
        if revision is None:
            older = [r for r in by_rev if r < current]
            if not older:
                raise KubeError(f"{ns}/{meta['name']} has no previous revision to roll back to", kind="not_found")
            revision = max(older)
        if revision not in by_rev:
            raise KubeError(
                f"{ns}/{meta['name']} has no revision {revision}; known: {', '.join(str(r) for r in sorted(by_rev))}",
                kind="not_found",
            )
        if revision == current:
            raise KubeError(f"{ns}/{meta['name']} already runs revision {revision}", kind="invalid")
        template = dict(by_rev[revision]["spec"]["template"])
        labels = {
            k: v for k, v in (template.get("metadata") or {}).get("labels", {}).items() if k != "pod-template-hash"
        }
        template = {**template, "metadata": {**(template.get("metadata") or {}), "labels": labels}}
        body = [
            {"op": "test", "path": "/metadata/resourceVersion", "value": meta.get("resourceVersion")},
            {"op": "replace", "path": "/spec/template", "value": template},
        ]
        return Change(
            "patch",
            "Deployment",
            ns,
            meta["name"],
            body,
            content_type="application/json-patch+json",
            describe=f"roll back Deployment {ns}/{meta['name']} from revision {current} to revision {revision}",
            details=template_diff(workload["spec"]["template"], template),
        )

    def after(self, planned: Planned, spec: dict[str, Any]) -> dict[str, Any]:
        return workload_after(spec)

    def verify(self, planned: Planned, args: RollbackArgs) -> dict[str, Any]:
        return {"verification": verify_rollout(planned.kube, planned.workload, planned.target.selector)}


remediation = Rollback()
