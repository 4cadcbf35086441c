"""Reading one entity's workloads from a cluster, and compact summaries of them for answers.

The summaries are deliberately small (a diagnosis must cost well under 1,500 tokens of tool
output): counts, states, images and the few fields a person acts on, never whole objects, never
environment values, never Secret data.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from tools.kubernetes.analyzers.base import Snapshot, condition, container_statuses, is_ready
from tools.kubernetes.client import Kube
from tools.kubernetes.errors import KubeError
from tools.kubernetes.mapping import Target

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
SAFE = "[bcdfghjklmnpqrstvwxz2456789]"  # the alphabet of generated name suffixes and pod-template hashes


def collect(kube: Kube, target: Target, *, events: bool = True) -> Snapshot:
    ns = target.namespace
    sel = target.selector
    snap = Snapshot(name=target.name, namespace=ns)
    if target.events_only:  # nothing of record but the events about it
        snap.subjects = [{"kind": target.kind, "metadata": {"name": target.name, "namespace": ns}}]
        return _with_events(kube, snap, ns, events)
    if target.kind in ("HorizontalPodAutoscaler", "PersistentVolumeClaim", "Job"):
        try:
            obj = kube.get(target.kind, ns, target.name)
        except KubeError as exc:  # a Job known only as its pods' owner (deleted, or not captured)
            if exc.kind != "not_found" or not target.owner:
                raise
        else:
            obj.setdefault("kind", target.kind)
            {"HorizontalPodAutoscaler": snap.hpas, "PersistentVolumeClaim": snap.pvcs, "Job": snap.jobs}[
                target.kind
            ].append(obj)
        if target.kind != "Job":
            return _with_events(kube, snap, ns, events)
    if target.owner:  # the pods a ReplicaSet or Job owns
        snap.pods = [
            p
            for p in kube.list("Pod", ns)
            if any(o.get("name") == target.owner for o in p["metadata"].get("ownerReferences") or [])
        ]
        if target.kind == "ReplicaSet" or (target.kind == "Job" and not snap.jobs):
            snap.subjects = [{"kind": target.kind, "metadata": {"name": target.name, "namespace": ns}}]
        return _with_events(kube, snap, ns, events)
    if target.pod:  # one named pod: it, and the workloads its labels select
        named = kube.list("Pod", ns, field_selector=f"metadata.name={target.pod}")
        snap.pods = [p for p in named if p["metadata"].get("name") == target.pod]
        if not sel:
            return _with_events(kube, snap, ns, events)
    else:
        snap.pods = kube.list("Pod", ns, label_selector=sel)
    snap.deployments = kube.list("Deployment", ns, label_selector=sel)
    # Kinds a cluster may not serve or RBAC may not let us list: skipped with a note, not fatal.
    snap.statefulsets = _optional(kube, snap, "StatefulSet", ns, sel)
    snap.daemonsets = _optional(kube, snap, "DaemonSet", ns, sel)
    if target.kind in ("Deployment", "StatefulSet", "DaemonSet"):
        # the workload the ask named is that one, whether or not its own labels match its selector
        named_list = {"Deployment": snap.deployments, "StatefulSet": snap.statefulsets, "DaemonSet": snap.daemonsets}
        chosen = named_list[target.kind]
        if not any(w["metadata"].get("name") == target.name for w in chosen):
            obj = kube.get(target.kind, ns, target.name)
            obj.setdefault("kind", target.kind)
            chosen.insert(0, obj)
        chosen[:] = [w for w in chosen if w["metadata"].get("name") == target.name]
    if target.kind == "Namespace":
        snap.jobs = _optional(kube, snap, "Job", ns, None)
        snap.pvcs = _optional(kube, snap, "PersistentVolumeClaim", ns, None)
    snap.cronjobs = _optional(kube, snap, "CronJob", ns, sel)
    snap.replicasets = _optional(kube, snap, "ReplicaSet", ns, sel)
    names = {(w["kind"], w["metadata"]["name"]) for w in snap.all_workloads()}
    snap.hpas = [
        h
        for h in _optional(kube, snap, "HorizontalPodAutoscaler", ns, None)
        if (
            (h.get("spec") or {}).get("scaleTargetRef", {}).get("kind"),
            (h.get("spec") or {}).get("scaleTargetRef", {}).get("name"),
        )
        in names
    ]
    if target.kind == "Namespace":
        snap.whole_namespace = True
    return _with_events(kube, snap, ns, events)


def _with_events(kube: Kube, snap: Snapshot, ns: str | None, events: bool) -> Snapshot:
    if events:
        try:
            _collect_events(kube, snap, ns)
        except KubeError as exc:
            if exc.kind not in OPTIONAL_ERRORS:
                raise
            snap.skipped.append(f"events: {exc.message}")
    return snap


OPTIONAL_ERRORS = ("not_found", "forbidden")


def _optional(kube: Kube, snap: Snapshot, kind: str, ns: str | None, sel: str | None) -> list[dict[str, Any]]:
    try:
        return kube.list(kind, ns, label_selector=sel)
    except KubeError as exc:
        if exc.kind not in OPTIONAL_ERRORS:
            raise
        snap.skipped.append(f"{kind}s: {exc.message}")
        return []


def _collect_events(kube: Kube, snap: Snapshot, ns: str | None) -> None:
    objects = [
        *snap.all_workloads(),
        *snap.replicasets,
        *snap.pods,
        *snap.hpas,
        *snap.jobs,
        *snap.pvcs,
        *snap.subjects,
    ]
    uids = {o["metadata"].get("uid") for o in objects} - {None}
    own = {(o.get("kind"), o["metadata"]["name"]) for o in objects}
    # the ReplicaSets and Jobs that own the pods (their events say why pods are missing or failing)
    own |= {(o.get("kind"), o.get("name")) for p in snap.pods for o in p["metadata"].get("ownerReferences") or []}
    if snap.whole_namespace:
        snap.events.extend(kube.list("Event", ns))
        return
    spaces = {ns} if ns else {o["metadata"].get("namespace") for o in objects}
    if not ns and any(not o["metadata"].get("namespace") for o in snap.subjects):  # a node: its events anywhere
        snap.events.extend(
            ev
            for ev in kube.list("Event", None)
            if ((ev.get("involvedObject") or {}).get("kind"), (ev.get("involvedObject") or {}).get("name")) in own
        )
        return
    generated = _generated_names(snap)
    for space in sorted(s for s in spaces if s):
        for ev in kube.list("Event", space):
            inv = ev.get("involvedObject") or {}
            if (
                inv.get("uid") in uids
                or (inv.get("kind"), inv.get("name")) in own
                or (inv.get("kind") in ("Pod", "ReplicaSet") and generated and generated.match(inv.get("name") or ""))
            ):
                snap.events.append(ev)


def _generated_names(snap: Snapshot) -> re.Pattern[str] | None:
    """The names the workloads' controllers give the pods and ReplicaSets they create: a
    Deployment's ``<name>-<template hash>[-<suffix>]``, a StatefulSet's ``<name>-<ordinal>``, a
    DaemonSet's ``<name>-<suffix>``, hash and suffix in the API server's vowel-free alphabet (so
    ``api`` never claims ``api-gateway-…``'s pods). Events outlive their pods (a crash-looping pod
    replaced on the next rollout leaves its BackOff events behind), so the events about pods no
    longer listed are matched by the name they were generated with."""
    parts = []
    for w in [*snap.all_workloads(), *snap.subjects]:  # subjects: a workload known only from its events
        name = re.escape(w["metadata"]["name"])
        parts.append(
            {
                "Deployment": rf"{name}-{SAFE}{{6,10}}(?:-{SAFE}{{5}})?",
                "StatefulSet": rf"{name}-\d+",
                "DaemonSet": rf"{name}-{SAFE}{{5}}",
            }.get(w.get("kind"), "")
        )
    parts = [p for p in parts if p]
    return re.compile(rf"^(?:{'|'.join(parts)})$") if parts else None


def _pod_state(p: dict[str, Any]) -> str:
    status = p.get("status") or {}
    for cs in container_statuses(p, init=True):
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") and waiting["reason"] not in ("ContainerCreating", "PodInitializing"):
            return waiting["reason"]
    sched = condition(p, "PodScheduled")
    if status.get("phase") == "Pending" and sched and sched.get("status") == "False":
        return sched.get("reason") or "Pending"
    if status.get("phase") == "Running" and not is_ready(p):
        return "Running (not ready)"
    return status.get("phase") or "Unknown"


def _requests(p: dict[str, Any]) -> str:
    out: dict[str, list[str]] = {}
    for c in (p.get("spec") or {}).get("containers") or []:
        for k, v in ((c.get("resources") or {}).get("requests") or {}).items():
            out.setdefault(k, []).append(str(v))
    return ", ".join(f"{k}={'+'.join(v)}" for k, v in sorted(out.items()))


def _pod_why(p: dict[str, Any]) -> str | None:
    """The one message that says why a pod is in its state: the scheduler's, a waiting or a terminated one."""
    sched = condition(p, "PodScheduled")
    if sched and sched.get("status") == "False" and sched.get("message"):
        return str(sched["message"])
    for cs in container_statuses(p, init=True):
        state = cs.get("state") or {}
        waiting = state.get("waiting") or {}
        term = state.get("terminated") or (cs.get("lastState") or {}).get("terminated") or {}
        if term and (term.get("exitCode") or 0) != 0:
            said = f": {term['message']}" if term.get("message") else ""
            return f"{cs.get('name')} exit code {term.get('exitCode')} ({term.get('reason')}){said}"
        if waiting.get("message"):
            return f"{cs.get('name')}: {waiting['message']}"
    status = p.get("status") or {}
    return status.get("message") or None


def _matches_state(wanted: str | None, *states: str | None) -> bool:
    if not wanted:
        return True
    want = wanted.lower().replace("-", " ").strip()
    have = [s.lower() for s in states if s]
    if want in ("not ready", "unready", "notready"):
        return "not ready" in have
    if want in ("not available", "unhealthy"):
        return "unhealthy" in have
    if want == "restarted":
        return "restarted" in have
    return any(want == s or want in s.split() or (len(want) > 5 and want in s) for s in have)


def _short_of_replicas(w: dict[str, Any]) -> bool:
    spec, status = w.get("spec") or {}, w.get("status") or {}
    if w.get("kind") == "DaemonSet":
        return status.get("numberReady", 0) < status.get("desiredNumberScheduled", 0)
    return status.get("readyReplicas", 0) < spec.get("replicas", 1)


def list_rows(kind: str, objects: list[dict[str, Any]], state: str | None = None) -> list[tuple[str, str]]:
    """(ref, line) per object: its state, where it runs, why; only those in ``state`` when given."""
    rows = []
    for o in objects:
        meta, spec, status = o.get("metadata") or {}, o.get("spec") or {}, o.get("status") or {}
        name = f"{meta.get('namespace') + '/' if meta.get('namespace') else ''}{meta.get('name')}"
        if kind == "Pod":
            now = _pod_state(o)
            ready = "ready" if is_ready(o) else "not ready"
            live = status.get("phase") != "Succeeded"
            health = "unhealthy" if live and not is_ready(o) else None
            count = sum(cs.get("restartCount") or 0 for cs in container_statuses(o, init=True))
            again = "restarted" if count else None
            if not _matches_state(state, now, status.get("phase"), ready if live else None, health, again):
                continue
            shown = now if "ready" in now else f"{now} ({ready})"
            row = f"{name}: {shown}, node {spec.get('nodeName') or '(not scheduled)'}, restarts {count}"
            if req := _requests(o):
                row += f", requests {req}"
            if why := _pod_why(o):
                row += f" — {' '.join(why.split())[:240]}"
        elif kind == "PersistentVolumeClaim":
            phase = status.get("phase")
            if not _matches_state(state, phase):
                continue
            size = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
            row = f"{name}: {phase}, storageClass {spec.get('storageClassName') or '(default)'}, requests {size}"
            row += f", volume {spec['volumeName']}" if spec.get("volumeName") else ""
        else:
            failing = [
                c
                for c in status.get("conditions") or []
                if c.get("type") not in ("ScalingLimited", "Complete", "Suspended")
                and (c.get("status") == "False") != (c.get("type") in ("Failed", "ReplicaFailure"))
            ]
            bad = [f"{c.get('type')}={c.get('status')} {c.get('reason') or ''}".strip() for c in failing]
            if kind == "Job":
                summary = f"succeeded {status.get('succeeded', 0)}, failed {status.get('failed', 0)}"
            elif kind == "HorizontalPodAutoscaler":
                target = spec.get("scaleTargetRef") or {}
                summary = f"target {target.get('kind')}/{target.get('name')}, current {status.get('currentReplicas')}"
            elif kind == "DaemonSet":
                summary = f"ready {status.get('numberReady', 0)}/{status.get('desiredNumberScheduled', 0)}"
            else:
                summary = f"ready {status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
            short = kind not in ("Job", "HorizontalPodAutoscaler") and _short_of_replicas(o)
            health = "unhealthy" if bad or short else None
            wanted = state
            if kind != "Job" and state and state.lower() == "failed":
                wanted = "unhealthy"  # "failing deployments": any that is short of ready replicas or degraded
            if not _matches_state(wanted, *[b.split("=")[0] for b in bad], *[b.split()[-1] for b in bad], health):
                continue
            row = f"{name}: {summary}" + (f"; {', '.join(bad)}" if bad else "")
            if failing and failing[0].get("message"):  # why the first one failed, on one line
                row += f" — {' '.join(str(failing[0]['message']).split())[:240]}"
        rows.append((f"{kind.lower()}:{name}", row))
    return rows


def restarts(p: dict[str, Any]) -> int:
    return sum(cs.get("restartCount") or 0 for cs in container_statuses(p))


def summarize(
    snap: Snapshot, *, services: list[dict] | None = None, ingresses: list[dict] | None = None
) -> dict[str, Any]:
    """What is running for an entity, in a few hundred tokens."""
    out: dict[str, Any] = {"workloads": []}
    for w in snap.all_workloads():
        spec, status = w.get("spec") or {}, w.get("status") or {}
        images = sorted({c.get("image") for c in (spec.get("template") or {}).get("spec", {}).get("containers", [])})
        item: dict[str, Any] = {
            "kind": w["kind"],
            "name": w["metadata"]["name"],
            "namespace": w["metadata"].get("namespace"),
            "images": images,
        }
        if w["kind"] == "DaemonSet":
            item["ready"] = f"{status.get('numberReady', 0)}/{status.get('desiredNumberScheduled', 0)}"
        else:
            item["ready"] = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
        if w["kind"] == "Deployment":
            item["revision"] = (w["metadata"].get("annotations") or {}).get(REVISION)
            prog = condition(w, "Progressing")
            if prog and prog.get("status") == "False":
                item["rollout"] = prog.get("reason")
        out["workloads"].append(item)
    for cj in snap.cronjobs:
        spec, status = cj.get("spec") or {}, cj.get("status") or {}
        containers = (
            (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {})
            .get("spec", {})
            .get("containers", [])
        )
        out["workloads"].append(
            {
                "kind": "CronJob",
                "name": cj["metadata"]["name"],
                "namespace": cj["metadata"].get("namespace"),
                "images": sorted({c.get("image") for c in containers}),
                "ready": f"schedule {spec.get('schedule')}, last success {status.get('lastSuccessfulTime', 'never')}",
            }
        )
    states = Counter(_pod_state(p) for p in snap.pods)
    out["pods"] = {"total": len(snap.pods), "states": dict(states), "restarts": sum(restarts(p) for p in snap.pods)}
    worst = sorted(snap.pods, key=lambda p: (is_ready(p), -restarts(p)))[:4]
    out["pods"]["sample"] = [f"{p['metadata']['name']} {_pod_state(p)} restarts={restarts(p)}" for p in worst]
    if snap.hpas:
        out["hpas"] = [
            {
                "name": h["metadata"]["name"],
                "min": h["spec"].get("minReplicas", 1),
                "max": h["spec"].get("maxReplicas"),
                "current": (h.get("status") or {}).get("currentReplicas"),
            }
            for h in snap.hpas
        ]
    if services:
        out["services"] = [
            f"{s['metadata']['name']} {s['spec'].get('type', 'ClusterIP')} "
            + ",".join(f"{p.get('port')}→{p.get('targetPort')}" for p in s["spec"].get("ports", []))
            for s in services
        ]
    if ingresses:
        out["ingresses"] = [
            f"{i['metadata']['name']}: " + ", ".join(r.get("host", "*") for r in i["spec"].get("rules", []))
            for i in ingresses
        ]
    if not snap.all_workloads() and not snap.pods and not snap.cronjobs:
        out["note"] = "no workloads match this entity's selector"
    return out


def healthy(snap: Snapshot) -> bool:
    running = [p for p in snap.pods if (p.get("status") or {}).get("phase") != "Succeeded"]
    return bool(running) and all(is_ready(p) for p in running)


# --- logs --------------------------------------------------------------------------------------
def compress_log(text: str, max_tokens: int) -> tuple[str, dict[str, int]]:
    """Error lines first (up to 60 % of the budget, most recent kept), then the tail, within ``max_tokens``."""
    from contract.tokens import count_tokens
    from tools.kubernetes.analyzers.base import ERROR_LINE

    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    errors = [i for i, line in enumerate(lines) if ERROR_LINE.search(line)]
    budget = max(50, max_tokens)
    used = 0
    chosen_errors: list[int] = []
    for i in reversed(errors):
        cost = count_tokens(lines[i]) + 1
        if used + cost > budget * 0.6:
            break
        chosen_errors.append(i)
        used += cost
    chosen_errors.reverse()
    taken = set(chosen_errors)
    tail: list[int] = []
    for i in range(len(lines) - 1, -1, -1):
        if i in taken:
            continue
        cost = count_tokens(lines[i]) + 1
        if used + cost > budget:
            break
        tail.append(i)
        used += cost
    tail.reverse()
    parts: list[str] = []
    if chosen_errors:
        parts.append(f"-- {len(chosen_errors)} error line(s) --")
        parts.extend(lines[i] for i in chosen_errors)
    if tail:
        parts.append(f"-- last {len(tail)} other line(s) --")
        parts.extend(lines[i] for i in tail)
    shown = len(chosen_errors) + len(tail)
    return "\n".join(parts), {"lines": len(lines), "shown": shown, "error_lines": len(errors)}


def pick_pod(snap: Snapshot) -> dict[str, Any] | None:
    """The pod most worth looking at: not ready and most restarted first."""
    if not snap.pods:
        return None
    return sorted(snap.pods, key=lambda p: (is_ready(p), -restarts(p), p["metadata"]["name"]))[0]


# --- rollout history ---------------------------------------------------------------------------
def history(snap: Snapshot) -> list[dict[str, Any]]:
    revs = []
    for rs in snap.replicasets:
        ann = rs["metadata"].get("annotations") or {}
        containers = rs["spec"]["template"]["spec"].get("containers", [])
        revs.append(
            {
                "revision": int(ann.get(REVISION, 0)),
                "replicaset": rs["metadata"]["name"],
                "created": rs["metadata"].get("creationTimestamp"),
                "images": [c.get("image") for c in containers],
                "replicas": (rs.get("status") or {}).get("replicas", 0),
                "ready": (rs.get("status") or {}).get("readyReplicas", 0),
                **({"change_cause": ann[CHANGE_CAUSE]} if ann.get(CHANGE_CAUSE) else {}),
            }
        )
    return sorted(revs, key=lambda r: r["revision"])


def template_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two pod templates, in words (images, env names, resources, probes, config)."""
    out: list[str] = []
    old_c = {c["name"]: c for c in (old.get("spec") or {}).get("containers", [])}
    new_c = {c["name"]: c for c in (new.get("spec") or {}).get("containers", [])}
    for name in sorted(set(old_c) | set(new_c)):
        a, b = old_c.get(name), new_c.get(name)
        if a is None or b is None:
            out.append(f"container {name} {'added' if a is None else 'removed'}")
            continue
        if a.get("image") != b.get("image"):
            out.append(f"{name}: image {a.get('image')} → {b.get('image')}")
        env_a = {e["name"]: e.get("value", "(from ref)") for e in a.get("env") or []}
        env_b = {e["name"]: e.get("value", "(from ref)") for e in b.get("env") or []}
        for key in sorted(set(env_a) - set(env_b)):
            out.append(f"{name}: env {key} removed")
        for key in sorted(set(env_b) - set(env_a)):
            out.append(f"{name}: env {key} added")
        for key in sorted(set(env_a) & set(env_b)):
            if env_a[key] != env_b[key]:
                out.append(f"{name}: env {key} changed")
        for field in ("resources", "readinessProbe", "livenessProbe", "envFrom", "command", "args"):
            if a.get(field) != b.get(field):
                out.append(f"{name}: {field} changed")
    for field in ("nodeSelector", "tolerations", "affinity", "serviceAccountName", "volumes"):
        if (old.get("spec") or {}).get(field) != (new.get("spec") or {}).get(field):
            out.append(f"pod {field} changed")
    old_ann = (old.get("metadata") or {}).get("annotations") or {}
    new_ann = (new.get("metadata") or {}).get("annotations") or {}
    if old_ann.get("kubectl.kubernetes.io/restartedAt") != new_ann.get("kubectl.kubernetes.io/restartedAt"):
        out.append("restartedAt annotation changed (a rollout restart)")
    return out or ["no difference in the pod template"]
