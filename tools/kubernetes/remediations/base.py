"""The one interface every remediation implements, and the approval-gated flow they share.

A remediation declares its tool's argument ``schema``, ``action`` phrase, ``risk`` and approval
``target``, and how it ``plan`` s one API write (:class:`Change`) and ``verify`` s it. The plan is
used twice: as a server-side dry run (``dryRun=All``) for the approval request's preview, and for
real after approval. Approvals are not checked here: the graph only calls :meth:`Remediation.execute`
with a valid approval bound to these exact arguments.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from contract.tooling import Preview, ToolContext, ToolResult
from tools.kubernetes.errors import KubeError

if TYPE_CHECKING:
    from tools.kubernetes.client import Kube
    from tools.kubernetes.mapping import Target

RISKS = ["low", "medium", "high"]
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


@dataclass
class Change:
    """One API write: ``patch`` or ``delete`` on ``kind ns/name`` (optionally a subresource)."""

    verb: str
    kind: str
    namespace: str | None
    name: str
    body: Any = None
    subresource: str | None = None
    content_type: str | None = None
    describe: str = ""
    details: list[str] = field(default_factory=list)

    def apply(self, kube: Kube, *, dry_run: bool) -> dict[str, Any]:
        if self.verb == "delete":
            return kube.delete_pod(self.namespace or "", self.name, dry_run=dry_run)
        return kube.patch(
            self.kind,
            self.namespace,
            self.name,
            self.body,
            dry_run=dry_run,
            subresource=self.subresource,
            content_type=self.content_type,
        )


@dataclass
class Planned:
    """A planned change with what it was planned on: the cluster, and the entity and workload if any."""

    kube: Kube
    change: Change
    target: Target | None = None
    workload: dict[str, Any] | None = None


class Remediation(ABC):
    """One mutating Kubernetes tool. Subclasses set the class attributes and implement ``plan`` and ``verify``."""

    kind: ClassVar[str]  # short name, in a failed result's query as ``k8s_<kind>``
    description: ClassVar[str]
    schema: ClassVar[type[BaseModel]]
    action: ClassVar[str]  # the phrase approval requests use: "rollout restart"
    base_risk: ClassVar[str] = "medium"

    @abstractmethod
    def plan(self, kube: Kube, args: Any, ctx: ToolContext) -> Planned:
        """Read what the change needs and describe it; raise :class:`KubeError` when it cannot be made."""

    @abstractmethod
    def verify(self, planned: Planned, args: Any) -> dict[str, Any]:
        """After the real write: entries for the result's data (``verification``, with ``verified``)."""

    def after(self, planned: Planned, spec: dict[str, Any]) -> dict[str, Any] | None:
        """What the dry run's returned ``spec`` says the object will look like, for the preview."""
        return None

    def target(self, args: Any, ctx: ToolContext) -> str:
        """The catalog entity whose owners and on-call may approve."""
        from tools.kubernetes.mapping import target_for

        return target_for(ctx.runtime, args.name).ref

    def risk(self, args: Any, ctx: ToolContext) -> str:
        """``base_risk``, one step higher for a production component."""
        from tools.kubernetes.mapping import target_for

        try:
            lifecycle = target_for(ctx.runtime, args.name).lifecycle
        except Exception:
            lifecycle = None
        if lifecycle == "production":
            return RISKS[min(2, RISKS.index(self.base_risk) + 1)]
        return self.base_risk

    # --- the flow every remediation shares ----------------------------------------------------
    def _planned(self, args: Any, ctx: ToolContext) -> Planned:
        from tools.kubernetes.client import kube_for
        from tools.kubernetes.snapshot import SnapshotKube, read_only_message

        kube = kube_for(ctx.runtime, args.cluster)
        if isinstance(kube, SnapshotKube):  # refused before planning: no dry run pretends it could apply
            raise KubeError(read_only_message(kube.cluster), kind="read_only")
        return self.plan(kube, args, ctx)

    def preview(self, args: Any, ctx: ToolContext) -> Preview:
        """The approval request's preview: the plan, run server-side as a dry run."""
        try:
            planned = self._planned(args, ctx)
            result = planned.change.apply(planned.kube, dry_run=True)
        except KubeError as exc:
            return Preview(summary=f"dry run failed: {exc.message}", ok=False, error=exc.message)
        change = planned.change
        lines = [f"server-side dry run (dryRun=All) on cluster {planned.kube.cluster}: accepted", *change.details]
        after = self.after(planned, (result.get("spec") or {}) if isinstance(result, dict) else {})
        if after:
            lines.append("result: " + ", ".join(f"{k}={v}" for k, v in after.items() if v is not None))
        return Preview(summary=change.describe, details="\n".join(lines))

    def execute(self, args: Any, ctx: ToolContext) -> ToolResult:
        """Plan again (the cluster may have moved since the preview), apply, verify, report."""
        query = {"tool": f"k8s_{self.kind}", **args.model_dump(exclude_none=True)}
        try:
            planned = self._planned(args, ctx)
        except KubeError as exc:
            return ToolResult.failure(f"not applied: {exc.message}", query)
        refs = [planned.target.ref] if planned.target else []
        try:
            planned.change.apply(planned.kube, dry_run=False)
        except KubeError as exc:
            return ToolResult.failure(f"not applied: {exc.message}", query, refs=refs)
        data: dict[str, Any] = {"applied": planned.change.describe}
        try:
            data.update(self.verify(planned, args))
        except KubeError as exc:
            data["verification"] = {"verified": False, "reason": f"applied, but could not verify: {exc.message}"}
        verification = data.get("verification") or {}
        note = (
            None
            if verification.get("verified")
            else "the change was applied but did not verify: " + str(verification.get("reason", "unknown"))
        )
        return ToolResult(data=data, query=query, note=note, source=f"cluster {planned.kube.cluster}", refs=refs)


class WorkloadRemediation(Remediation):
    """A change to the one Deployment, StatefulSet or DaemonSet of a catalog component."""

    @abstractmethod
    def change(self, kube: Kube, workload: dict[str, Any], args: Any) -> Change: ...

    def plan(self, kube: Kube, args: Any, ctx: ToolContext) -> Planned:
        from tools.kubernetes.mapping import target_for

        target = target_for(ctx.runtime, args.name)
        if reason := target.not_changeable():
            raise KubeError(reason, kind="bad_request")
        workload = find_workload(kube, target.namespace, target.selector)
        return Planned(kube, self.change(kube, workload, args), target, workload)


def find_workload(
    kube: Kube, namespace: str | None, selector: str, kinds=("Deployment", "StatefulSet", "DaemonSet")
) -> dict[str, Any]:
    for kind in kinds:
        found = kube.list(kind, namespace, label_selector=selector)
        if len(found) > 1:
            names = ", ".join(f"{o['metadata'].get('namespace')}/{o['metadata']['name']}" for o in found)
            raise KubeError(f"several {kind}s match {selector}: {names}; name the namespace", kind="ambiguous")
        if found:
            return found[0]
    where = f"namespace {namespace}" if namespace else "any namespace"
    raise KubeError(f"no Deployment, StatefulSet or DaemonSet matches {selector} in {where}", kind="not_found")


def workload_after(spec: dict[str, Any]) -> dict[str, Any]:
    """A workload's images and restart annotation, as a dry run of a change to its template returns them."""
    template = spec.get("template") or {}
    return {
        "images": [c.get("image") for c in template.get("spec", {}).get("containers", [])],
        "restartedAt": (template.get("metadata") or {}).get("annotations", {}).get(RESTARTED_AT),
    }
