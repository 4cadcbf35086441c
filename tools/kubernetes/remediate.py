"""The changes: rollout restart, scale (HPA-aware), rollback, delete a pod, cordon/uncordon a node.

Each change has a ``plan`` (what patch, on what object) used twice: once as a server-side dry run
(``dryRun=All``) for the approval request's preview, and once for real after approval, followed by
verification (rollout status: updated, ready pods). Approvals are not checked here: the graph only
calls ``execute`` with a valid approval bound to these exact arguments.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tools.kubernetes.analyzers.base import condition, container_statuses, is_ready
from tools.kubernetes.client import Kube
from tools.kubernetes.errors import KubeError
from tools.kubernetes.workloads import REVISION, template_diff

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
VERIFY_SECONDS = 30.0
POLL_SECONDS = 0.5
STUCK = {
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
    "CreateContainerError",
    "RunContainerError",
}


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


# --- plans -------------------------------------------------------------------------------------
def plan_restart(workload: dict[str, Any]) -> Change:
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


def plan_scale(kube: Kube, workload: dict[str, Any], replicas: int) -> Change:
    meta = workload["metadata"]
    ns = meta.get("namespace")
    current = (workload.get("spec") or {}).get("replicas", 1)
    hpa = next(
        (
            h
            for h in kube.list("HorizontalPodAutoscaler", ns)
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
    return Change("patch", "HorizontalPodAutoscaler", ns, name, body, describe=what, details=details)


def plan_rollback(kube: Kube, workload: dict[str, Any], revision: int | None) -> Change:
    if workload["kind"] != "Deployment":
        raise KubeError(
            f"rollback is supported for Deployments; {workload['metadata']['name']} is a {workload['kind']}",
            kind="invalid",
        )
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
    labels = {k: v for k, v in (template.get("metadata") or {}).get("labels", {}).items() if k != "pod-template-hash"}
    template = {**template, "metadata": {**(template.get("metadata") or {}), "labels": labels}}
    body = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": meta.get("resourceVersion")},
        {"op": "replace", "path": "/spec/template", "value": template},
    ]
    diff = template_diff(workload["spec"]["template"], template)
    return Change(
        "patch",
        "Deployment",
        ns,
        meta["name"],
        body,
        content_type="application/json-patch+json",
        describe=f"roll back Deployment {ns}/{meta['name']} from revision {current} to revision {revision}",
        details=diff,
    )


def plan_delete_pod(kube: Kube, namespace: str | None, selector: str, pod: str) -> Change:
    pods = kube.list("Pod", namespace, label_selector=selector)
    found = next((p for p in pods if p["metadata"]["name"] == pod), None)
    if found is None:
        raise KubeError(
            f"pod {pod} does not belong to this entity ({selector}); its pods: "
            f"{', '.join(p['metadata']['name'] for p in pods[:6]) or 'none'}",
            kind="not_found",
        )
    owner = next((o for o in found["metadata"].get("ownerReferences") or []), None)
    after = (
        f"its {owner['kind']} {owner['name']} will create a replacement"
        if owner
        else "it has no controller: it will NOT be replaced"
    )
    return Change(
        "delete",
        "Pod",
        found["metadata"]["namespace"],
        pod,
        describe=f"delete pod {found['metadata']['namespace']}/{pod}; {after}",
    )


def plan_cordon(node: str, cordon: bool) -> Change:
    verb = "cordon" if cordon else "uncordon"
    return Change(
        "patch",
        "Node",
        None,
        node,
        {"spec": {"unschedulable": True if cordon else None}},
        describe=f"{verb} node {node}: "
        + (
            "no new pods will be scheduled on it (running pods stay)"
            if cordon
            else "new pods may be scheduled on it again"
        ),
        details=[f"spec.unschedulable: {'true' if cordon else 'unset'}"],
    )


# --- preview and verification ------------------------------------------------------------------
def dry_run(kube: Kube, change: Change) -> dict[str, Any]:
    """Run the change server-side with ``dryRun=All``; return what the API says the result would be."""
    result = change.apply(kube, dry_run=True)
    out: dict[str, Any] = {
        "server_dry_run": "ok",
        "object": f"{change.kind} {change.namespace + '/' if change.namespace else ''}{change.name}",
    }
    spec = (result.get("spec") or {}) if isinstance(result, dict) else {}
    if change.kind == "HorizontalPodAutoscaler":
        out["after"] = {"minReplicas": spec.get("minReplicas"), "maxReplicas": spec.get("maxReplicas")}
    elif change.subresource == "scale":
        out["after"] = {"replicas": spec.get("replicas")}
    elif change.kind == "Node":
        out["after"] = {"unschedulable": bool(spec.get("unschedulable"))}
    elif change.kind in ("Deployment", "StatefulSet", "DaemonSet"):
        images = [c.get("image") for c in (spec.get("template") or {}).get("spec", {}).get("containers", [])]
        out["after"] = {
            "images": images,
            "restartedAt": ((spec.get("template") or {}).get("metadata") or {})
            .get("annotations", {})
            .get(RESTARTED_AT),
        }
    return out


def verify_workload(
    kube: Kube, kind: str, namespace: str, name: str, *, timeout: float = VERIFY_SECONDS, selector: str | None = None
) -> dict[str, Any]:
    """Wait for the rollout to finish (kubectl rollout status), or stop early when new pods are stuck."""
    deadline = time.monotonic() + timeout
    while True:
        obj = kube.get(kind, namespace, name)
        spec, status = obj.get("spec") or {}, dict(obj.get("status") or {})
        if kind == "DaemonSet":  # the same checks, under a DaemonSet's field names
            status.update(
                replicas=status.get("desiredNumberScheduled", 0),
                updatedReplicas=status.get("updatedNumberScheduled", 0),
                readyReplicas=status.get("numberReady", 0),
            )
            spec = {**spec, "replicas": status["replicas"]}
        want = spec.get("replicas", 1)
        observed = status.get("observedGeneration", 0) >= (obj["metadata"].get("generation") or 0)
        pods = kube.list("Pod", namespace, label_selector=selector) if selector else []
        stuck = sorted(
            {
                w
                for p in pods
                for w in (((cs.get("state") or {}).get("waiting") or {}).get("reason") for cs in container_statuses(p))
                if w in STUCK
            }
        )
        unsched = [p for p in pods if (condition(p, "PodScheduled") or {}).get("status") == "False"]
        done = (
            observed
            and status.get("updatedReplicas", 0) == want
            and status.get("readyReplicas", 0) == want
            and status.get("replicas", 0) == want
        )
        report = {
            "replicas": want,
            "updated": status.get("updatedReplicas", 0),
            "ready": status.get("readyReplicas", 0),
            "revision": (obj["metadata"].get("annotations") or {}).get(REVISION),
            "pods": [f"{p['metadata']['name']} {'ready' if is_ready(p) else 'not ready'}" for p in pods[:8]],
        }
        if done:
            return {"verified": True, **report}
        if stuck or unsched:
            why = ", ".join(stuck) or "Unschedulable"
            return {"verified": False, "reason": f"the new pods are not becoming ready: {why}", **report}
        if time.monotonic() >= deadline:
            return {"verified": False, "reason": f"the rollout did not finish within {timeout:.0f}s", **report}
        time.sleep(POLL_SECONDS)


def verify_hpa(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    hpa = kube.get("HorizontalPodAutoscaler", namespace, name)
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    return {
        "verified": True,
        "minReplicas": spec.get("minReplicas"),
        "maxReplicas": spec.get("maxReplicas"),
        "currentReplicas": status.get("currentReplicas"),
        "desiredReplicas": status.get("desiredReplicas"),
    }
