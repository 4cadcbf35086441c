"""``kubectl describe`` for the objects a question names: the fields people ask about, compactly.

Which node a pod runs on, its phase and conditions, each container's image, requests and limits,
probes, state and last termination (reason, exit code, message), restarts, and the object's events
with their counts. The diagnosis says what is wrong; this says what is there, so "which node",
"what limit", "what exit code", "how many times" have an answer of record.
"""

from __future__ import annotations

import re
from typing import Any

from tools.kubernetes.analyzers.base import Snapshot, event_text

MAX_PODS = 3
MAX_EVENTS = 8


def _resources(container: dict[str, Any]) -> str:
    res = container.get("resources") or {}
    parts = [
        f"{kind} {', '.join(f'{k}={v}' for k, v in sorted(values.items()))}"
        for kind, values in sorted(res.items())
        if values
    ]
    return "; ".join(parts) or "no requests or limits"


def _probe(probe: dict[str, Any] | None) -> str | None:
    if not probe:
        return None
    how = next((k for k in ("httpGet", "tcpSocket", "exec", "grpc") if k in probe), "?")
    detail = probe.get(how) or {}
    target = detail.get("path") or detail.get("port") or " ".join(detail.get("command") or [])
    timing = ", ".join(
        f"{k}={probe[k]}"
        for k in ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold")
        if k in probe
    )
    return f"{how} {target}".strip() + (f" ({timing})" if timing else "")


def _state(state: dict[str, Any] | None) -> str:
    if not state:
        return "?"
    kind, detail = next(iter(state.items()))
    labels = {
        "reason": "reason",
        "exitCode": "exit code",
        "message": "message",
        "startedAt": "started",
        "finishedAt": "finished",
    }
    parts = [kind] + [
        f"{label} {str(detail[key])[:200]}" for key, label in labels.items() if detail.get(key) not in (None, "")
    ]
    return ", ".join(parts)


def describe_pod(pod: dict[str, Any], snap: Snapshot) -> dict[str, Any]:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    statuses = {
        c.get("name"): c
        for c in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    }
    containers = []
    for kind, items in (("init", spec.get("initContainers") or []), ("app", spec.get("containers") or [])):
        for c in items:
            cs = statuses.get(c.get("name")) or {}
            entry = {
                "name": c.get("name"),
                "kind": kind,
                "image": c.get("image"),
                "resources": _resources(c),
                "state": _state(cs.get("state")),
                "ready": cs.get("ready"),
                "restarts": cs.get("restartCount", 0),
            }
            if cs.get("lastState"):
                entry["last_state"] = _state(cs.get("lastState"))
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if (shown := _probe(c.get(probe))) is not None:
                    entry[probe] = shown
            if c.get("command") or c.get("args"):
                entry["command"] = " ".join([*(c.get("command") or []), *(c.get("args") or [])])[:200]
            containers.append(entry)
    conditions = [
        f"{c.get('type')}={c.get('status')}"
        + (f" {c.get('reason')}" if c.get("reason") else "")
        + (f": {str(c.get('message'))[:200]}" if c.get("message") else "")
        for c in status.get("conditions") or []
    ]
    events = snap.events_for(pod)
    return {
        "pod": f"{meta.get('namespace', '')}/{meta.get('name')}",
        "node": spec.get("nodeName") or "(not scheduled)",
        "phase": status.get("phase"),
        "reason": status.get("reason"),
        "message": status.get("message"),
        "qos": status.get("qosClass"),
        "owner": ", ".join(f"{o.get('kind')}/{o.get('name')}" for o in meta.get("ownerReferences") or []) or None,
        "conditions": conditions,
        "containers": containers,
        "events": [_event_line(e) for e in events[:MAX_EVENTS]],
        **({"more_events": len(events) - MAX_EVENTS} if len(events) > MAX_EVENTS else {}),
    }


def _event_line(e: dict[str, Any]) -> str:
    when = e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp") or "?"
    return f"{when} {e.get('type')} {event_text(e, 240)}"


def describe_workload(w: dict[str, Any], snap: Snapshot) -> dict[str, Any]:
    meta, spec, status = w.get("metadata") or {}, w.get("spec") or {}, w.get("status") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    out: dict[str, Any] = {
        "workload": f"{w.get('kind')} {meta.get('namespace', '')}/{meta.get('name')}",
        "replicas": {
            k: status.get(k)
            for k in ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "unavailableReplicas")
            if k in status
        },
        "desired": spec.get("replicas"),
        **_availability(w),
        "strategy": (spec.get("strategy") or spec.get("updateStrategy") or {}).get("type"),
        "images": sorted({c.get("image") for c in template.get("containers") or []}),
        "conditions": [
            f"{c.get('type')}={c.get('status')}"
            + (f" {c.get('reason')}" if c.get("reason") else "")
            + (f": {str(c.get('message'))[:200]}" if c.get("message") else "")
            for c in status.get("conditions") or []
        ],
        "events": [_event_line(e) for e in snap.events_for(w)[:MAX_EVENTS]],
    }
    return {k: v for k, v in out.items() if v not in (None, [], {})}


def _availability(w: dict[str, Any]) -> dict[str, Any]:
    """Ready and available replicas out of those wanted, as ``kubectl get`` counts them (absent = 0)."""
    spec, status = w.get("spec") or {}, w.get("status") or {}
    if w.get("kind") == "DaemonSet":
        wanted = status.get("desiredNumberScheduled", 0)
        return {
            "ready": f"{status.get('numberReady', 0)}/{wanted}",
            "available": f"{status.get('numberAvailable', 0)}/{wanted}",
        }
    wanted = spec.get("replicas", 1)
    out = {"ready": f"{status.get('readyReplicas', 0)}/{wanted}"}
    if w.get("kind") == "Deployment":
        out["available"] = f"{status.get('availableReplicas', 0)}/{wanted}"
    return out


def _conditions(obj: dict[str, Any]) -> list[str]:
    return [
        f"{c.get('type')}={c.get('status')}"
        + (f" {c.get('reason')}" if c.get("reason") else "")
        + (f": {str(c.get('message'))[:240]}" if c.get("message") else "")
        for c in (obj.get("status") or {}).get("conditions") or []
    ]


def describe_other(obj: dict[str, Any], snap: Snapshot) -> dict[str, Any]:
    """A Job, HPA or PVC: its state in the fields ``kubectl describe`` leads with, its conditions and events."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    kind = obj.get("kind")
    facts: list[str] = []
    if kind == "Job":
        facts.append(
            f"active {status.get('active', 0)}, succeeded {status.get('succeeded', 0)}, "
            f"failed {status.get('failed', 0)}"
            f"; completions {spec.get('completions', 1)}, backoffLimit {spec.get('backoffLimit', 6)}"
        )
        images = sorted(
            {c.get("image") for c in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []}
        )
        if images:
            facts.append(f"images {', '.join(str(i) for i in images)}")
    elif kind == "HorizontalPodAutoscaler":
        ref_ = spec.get("scaleTargetRef") or {}
        facts.append(
            f"targets {ref_.get('kind')}/{ref_.get('name')}; min {spec.get('minReplicas', 1)}, "
            f"max {spec.get('maxReplicas')}"
            f", current {status.get('currentReplicas')}, desired {status.get('desiredReplicas')}"
        )
    elif kind == "PersistentVolumeClaim":
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        facts.append(
            f"phase {status.get('phase')}; storageClass {spec.get('storageClassName') or '(default)'}"
            f"; requests {size}; access {', '.join(spec.get('accessModes') or [])}"
            + (f"; volume {spec['volumeName']}" if spec.get("volumeName") else "")
        )
    events = snap.events_for(obj)
    return {
        "object": f"{kind} {meta['namespace'] + '/' if meta.get('namespace') else ''}{meta.get('name')}",
        "facts": facts,
        "conditions": _conditions(obj),
        "events": [_event_line(e) for e in events[:MAX_EVENTS]],
    }


def describe_subject(obj: dict[str, Any], snap: Snapshot) -> dict[str, Any]:
    """An object the cluster holds no record of: what its events say."""
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    events = sorted(
        snap.events_for(obj), key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "", reverse=True
    )
    facts = [
        "not among the cluster's objects (deleted, or not captured); "
        + ("known only from its events" if events else "no events about it either")
    ]
    for e in events:  # the scheduler's "Successfully assigned ns/pod to node-3" says where it ran
        m = re.search(r"\bassigned \S+ to (\S+)", str(e.get("message") or ""))
        if e.get("reason") == "Scheduled" and m:
            facts.append(f"scheduled on node {m.group(1)} (its Scheduled event)")
            break
    return {
        "object": f"{obj.get('kind')} {where}{meta.get('name')}",
        "facts": facts,
        "conditions": [],
        "events": [_event_line(e) for e in events[: MAX_EVENTS * 2]],
    }


def describe(snap: Snapshot, pod_name: str | None = None) -> dict[str, Any]:
    pods = [p for p in snap.pods if pod_name is None or p["metadata"].get("name") == pod_name]
    worst = sorted(pods, key=lambda p: ((p.get("status") or {}).get("phase") == "Running", p["metadata"].get("name")))
    data: dict[str, Any] = {
        "workloads": [describe_workload(w, snap) for w in snap.all_workloads()][:3],
        "pods": [describe_pod(p, snap) for p in worst[:MAX_PODS]],
    }
    others = [describe_other(o, snap) for o in [*snap.jobs, *snap.pvcs, *snap.hpas][:3]]
    others += [describe_subject(o, snap) for o in snap.subjects]
    if others:
        data["objects"] = others
    if len(pods) > MAX_PODS:
        data["more_pods"] = len(pods) - MAX_PODS
    return data
