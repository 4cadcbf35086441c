"""Verification after a write: the rollout finished (kubectl rollout status), or the HPA's new bounds."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tools.kubernetes.analyzers.base import condition, container_statuses, is_ready
from tools.kubernetes.workloads import REVISION

if TYPE_CHECKING:
    from tools.kubernetes.client import Kube

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


def verify_rollout(kube: Kube, workload: dict[str, Any], selector: str, *, timeout: float = VERIFY_SECONDS):
    """:func:`verify_workload` of the workload a change was planned on."""
    meta = workload["metadata"]
    return verify_workload(kube, workload["kind"], meta["namespace"], meta["name"], selector=selector, timeout=timeout)


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
