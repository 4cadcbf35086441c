"""The Kubernetes tools: reads, diagnosis, and the mutating remediations (behind the approval gate).

Read tools return compact data (never whole objects, never env values, never Secret data) with the
exact selector and namespace they used. Mutating tools define ``target`` (the catalog entity the
approval policy checks), ``preview`` (a server-side dry run) and ``func`` (execute, verify, report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from contract.tooling import PortalTool, Preview, ToolContext, ToolResult
from tools.kubernetes.errors import KubeError

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.kubernetes.client import Kube
    from tools.kubernetes.mapping import Target

FAMILY = "kubernetes"
DIAGNOSIS_LOG_TAIL = 40


# --- argument schemas --------------------------------------------------------------------------
class EntityArgs(BaseModel):
    name: str = Field(description="Catalog component name or ref, e.g. checkout or component:default/checkout")
    cluster: str | None = Field(None, description="Cluster (kubeconfig context) name; default: the first one")


class LogsArgs(EntityArgs):
    pod: str | None = Field(None, description="Pod name; default: the least healthy pod of the entity")
    container: str | None = Field(None, description="Container name; default: the pod's first container")
    tail: int = Field(200, ge=1, le=5000, description="Lines to read from the end of the log")
    previous: bool = Field(False, description="Logs of the previous (crashed) container instance")
    max_tokens: int = Field(500, ge=100, le=2000, description="Cap on the returned log text; error lines first")


class EventsArgs(EntityArgs):
    warnings_only: bool = Field(True, description="Only Warning events")
    limit: int = Field(12, ge=1, le=100)


class ScaleArgs(EntityArgs):
    replicas: int = Field(ge=0, le=500, description="Desired number of replicas")


class RollbackArgs(EntityArgs):
    revision: int | None = Field(None, ge=1, description="Revision to roll back to; default: the previous one")


class DeletePodArgs(EntityArgs):
    pod: str = Field(description="Name of the pod to delete (its controller replaces it)")


class CordonArgs(BaseModel):
    node: str = Field(description="Node name")
    cordon: bool = Field(True, description="True to cordon (stop scheduling), False to uncordon")
    cluster: str | None = Field(None, description="Cluster (kubeconfig context) name; default: the first one")


# --- plumbing ----------------------------------------------------------------------------------
def _kube(ctx: ToolContext, cluster: str | None) -> Kube:
    from tools.kubernetes.client import Kube
    from tools.kubernetes.clusters import clusters_for

    return Kube(clusters_for(ctx.runtime), cluster)


def _target(ctx: ToolContext, name: str) -> Target:
    from tools.kubernetes.mapping import target_for

    return target_for(ctx.runtime, name)


def _query(target: Target | None, kube: Kube | None, **extra: Any) -> dict[str, Any]:
    q: dict[str, Any] = {}
    if kube is not None:
        q["cluster"] = kube.cluster
    if target is not None:
        q.update(entity=target.ref, selector=target.selector, namespace=target.namespace or "(all)")
    q.update({k: v for k, v in extra.items() if v is not None})
    return q


def _guard(fn):
    """Turn cluster failures into a failed result with the clear message (nothing crashes)."""

    def wrapper(args, ctx: ToolContext) -> ToolResult:
        try:
            return fn(args, ctx)
        except KubeError as exc:
            return ToolResult.failure(
                exc.message, {"tool": fn.__name__.lstrip("_"), **args.model_dump(exclude_none=True)}
            )

    wrapper.__name__ = fn.__name__
    return wrapper


# --- read tools ----------------------------------------------------------------------------------
@_guard
def _workloads(args: EntityArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.workloads import collect, summarize

    target = _target(ctx, args.name)
    kube = _kube(ctx, args.cluster)
    snap = collect(kube, target, events=False)
    services = kube.list("Service", target.namespace, label_selector=target.selector)
    service_names = {s["metadata"]["name"] for s in services}
    ingresses = [
        i
        for i in kube.list("Ingress", target.namespace)
        if any(
            ((p.get("backend") or {}).get("service") or {}).get("name") in service_names
            for r in (i.get("spec") or {}).get("rules", [])
            for p in (r.get("http") or {}).get("paths", [])
        )
    ]
    data = summarize(snap, services=services, ingresses=ingresses)
    return ToolResult(data=data, query=_query(target, kube), source=f"cluster {kube.cluster}", refs=[target.ref])


@_guard
def _events(args: EventsArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.analyzers.base import event_text
    from tools.kubernetes.workloads import collect

    target = _target(ctx, args.name)
    kube = _kube(ctx, args.cluster)
    snap = collect(kube, target)
    events = [e for e in snap.events if not args.warnings_only or e.get("type") == "Warning"]
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "", reverse=True)
    rows = [
        f"{e.get('lastTimestamp') or e.get('eventTime') or '?'} {e.get('type')} "
        f"{(e.get('involvedObject') or {}).get('kind')}/{(e.get('involvedObject') or {}).get('name')} "
        f"{event_text(e, 200)}"
        for e in events[: args.limit]
    ]
    note = f"{len(events) - args.limit} older event(s) left out" if len(events) > args.limit else None
    return ToolResult(
        data={"events": rows, "total": len(events)},
        note=note,
        source=f"cluster {kube.cluster}",
        query=_query(target, kube, warnings_only=args.warnings_only),
        refs=[target.ref],
    )


@_guard
def _logs(args: LogsArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.workloads import collect, compress_log, pick_pod

    target = _target(ctx, args.name)
    kube = _kube(ctx, args.cluster)
    snap = collect(kube, target, events=False)
    if args.pod:
        pod = next((p for p in snap.pods if p["metadata"]["name"] == args.pod), None)
        if pod is None:
            raise KubeError(
                f"pod {args.pod} does not belong to {target.ref}; its pods: "
                f"{', '.join(p['metadata']['name'] for p in snap.pods[:6]) or 'none'}",
                kind="not_found",
            )
    else:
        pod = pick_pod(snap)
        if pod is None:
            raise KubeError(f"{target.ref} has no pods ({target.describe()})", kind="not_found")
    containers = [c["name"] for c in pod["spec"].get("containers", [])]
    container = args.container or containers[0]
    if container not in containers:
        raise KubeError(
            f"pod {pod['metadata']['name']} has no container {container}; containers: {', '.join(containers)}",
            kind="not_found",
        )
    previous = args.previous
    note = None
    if not previous:  # a crashed container's useful log is the previous one
        cs = next((c for c in pod["status"].get("containerStatuses") or [] if c["name"] == container), {})
        waiting = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
        if waiting == "CrashLoopBackOff":
            previous = True
            note = "the container is crash-looping, so the previous instance's log is shown"
    text = kube.logs(
        pod["metadata"]["namespace"], pod["metadata"]["name"], container, tail=args.tail, previous=previous
    )
    compressed, stats = compress_log(text, args.max_tokens)
    if stats["shown"] < stats["lines"]:
        cut = (
            f"{stats['lines'] - stats['shown']} of {stats['lines']} lines left out to stay under "
            f"{args.max_tokens} tokens (error lines kept first)"
        )
        note = f"{note}; {cut}" if note else cut
    return ToolResult(
        data={"pod": pod["metadata"]["name"], "container": container, "previous": previous, "log": compressed, **stats},
        note=note,
        source=f"cluster {kube.cluster}",
        query=_query(target, kube, pod=pod["metadata"]["name"], container=container, tail=args.tail, previous=previous),
        refs=[target.ref],
    )


@_guard
def _history(args: EntityArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.workloads import collect, history, template_diff

    target = _target(ctx, args.name)
    kube = _kube(ctx, args.cluster)
    snap = collect(kube, target, events=False)
    revs = history(snap)
    data: dict[str, Any] = {"revisions": revs[-6:]}
    if snap.deployments:
        dep = snap.deployments[0]
        current = int((dep["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", 0) or 0)
        data["current_revision"] = current
        by_rev = {
            int((r["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", 0)): r
            for r in snap.replicasets
        }
        older = sorted(r for r in by_rev if r < current)
        if current in by_rev and older:
            data["last_change"] = {
                "from": older[-1],
                "to": current,
                "at": by_rev[current]["metadata"].get("creationTimestamp"),
                "diff": template_diff(by_rev[older[-1]]["spec"]["template"], by_rev[current]["spec"]["template"]),
            }
    elif not revs:
        data["note"] = "no Deployment revisions (StatefulSets/DaemonSets keep ControllerRevisions, not shown)"
    return ToolResult(data=data, query=_query(target, kube), source=f"cluster {kube.cluster}", refs=[target.ref])


@_guard
def _diagnose(args: EntityArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.analyzers import ANALYZERS, analyze
    from tools.kubernetes.workloads import collect, healthy, summarize

    target = _target(ctx, args.name)
    kube = _kube(ctx, args.cluster)
    snap = collect(kube, target)
    _fetch_logs(kube, snap)
    findings = analyze(snap)
    summary = summarize(snap)
    brief = "; ".join(
        f"{w['kind']} {w['name']} ready {w['ready']}" + (f" rev {w['revision']}" if w.get("revision") else "")
        for w in summary["workloads"]
    )
    data = {
        "workload": brief or "no workloads found",
        "pods": summary["pods"]["states"],
        "healthy": healthy(snap) and not findings,
        "findings": [f.compact() for f in findings[:3]],
    }
    if len(findings) > 3:
        data["more_findings"] = [f.mode for f in findings[3:]]
    if not findings:
        data["checked"] = [a.mode for a in ANALYZERS]
    note = f"not readable, so not analysed: {'; '.join(snap.skipped)}" if snap.skipped else None
    return ToolResult(
        data=data, query=_query(target, kube), source=f"cluster {kube.cluster}", refs=[target.ref], note=note
    )


def _fetch_logs(kube: Kube, snap) -> None:
    """Previous logs of crashed containers and current logs of unready ones (a few pods only)."""
    from tools.kubernetes.analyzers.base import container_statuses, is_ready

    wanted: list[tuple[str, str, str, bool]] = []
    for p in snap.pods:
        for cs in container_statuses(p):
            terminated = (cs.get("lastState") or {}).get("terminated")
            running = (cs.get("state") or {}).get("running")
            if terminated:
                wanted.append((p["metadata"]["namespace"], p["metadata"]["name"], cs["name"], True))
            elif running and not is_ready(p):
                wanted.append((p["metadata"]["namespace"], p["metadata"]["name"], cs["name"], False))
    seen_prev = seen_cur = 0
    for ns, pod, container, previous in wanted:
        if (previous and seen_prev >= 2) or (not previous and seen_cur >= 1):
            continue
        try:
            snap.logs[(pod, container, previous)] = kube.logs(
                ns, pod, container, tail=DIAGNOSIS_LOG_TAIL, previous=previous
            )
        except KubeError:
            continue  # logs are extra evidence; the objects alone still diagnose
        if previous:
            seen_prev += 1
        else:
            seen_cur += 1


# --- mutating tools ----------------------------------------------------------------------------
def _entity_target(args, ctx: ToolContext) -> str:
    return _target(ctx, args.name).ref


def _risk(base: str):
    order = ["low", "medium", "high"]

    def risk(args, ctx: ToolContext) -> str:
        try:
            lifecycle = _target(ctx, args.name).lifecycle
        except Exception:
            lifecycle = None
        if lifecycle == "production":
            return order[min(2, order.index(base) + 1)]
        return base

    return risk


def _plan(kind: str, args, ctx: ToolContext):
    from tools.kubernetes import remediate

    kube = _kube(ctx, args.cluster)
    if kind == "cordon":
        return kube, None, None, remediate.plan_cordon(args.node, args.cordon)
    target = _target(ctx, args.name)
    if kind == "delete_pod":
        return kube, target, None, remediate.plan_delete_pod(kube, target.namespace, target.selector, args.pod)
    workload = remediate.find_workload(kube, target.namespace, target.selector)
    if kind == "restart":
        change = remediate.plan_restart(workload)
    elif kind == "scale":
        change = remediate.plan_scale(kube, workload, args.replicas)
    elif kind == "rollback":
        change = remediate.plan_rollback(kube, workload, args.revision)
    else:  # pragma: no cover - programming error
        raise ValueError(kind)
    return kube, target, workload, change


def _previewer(kind: str):
    def preview(args, ctx: ToolContext) -> Preview:
        from tools.kubernetes.remediate import dry_run

        try:
            kube, _, _, change = _plan(kind, args, ctx)
            result = dry_run(kube, change)
        except KubeError as exc:
            return Preview(summary=f"dry run failed: {exc.message}", ok=False, error=exc.message)
        lines = [f"server-side dry run (dryRun=All) on cluster {kube.cluster}: accepted", *change.details]
        if result.get("after"):
            lines.append("result: " + ", ".join(f"{k}={v}" for k, v in result["after"].items() if v is not None))
        return Preview(summary=change.describe, details="\n".join(lines))

    return preview


def _executor(kind: str):
    def execute(args, ctx: ToolContext) -> ToolResult:
        from tools.kubernetes import remediate

        query = {"tool": f"k8s_{kind}", **args.model_dump(exclude_none=True)}
        try:
            kube, target, workload, change = _plan(kind, args, ctx)
        except KubeError as exc:
            return ToolResult.failure(f"not applied: {exc.message}", query)
        try:
            change.apply(kube, dry_run=False)
        except KubeError as exc:
            return ToolResult.failure(f"not applied: {exc.message}", query, refs=[target.ref] if target else [])
        data: dict[str, Any] = {"applied": change.describe}
        try:
            if kind in ("restart", "rollback") or (kind == "scale" and change.kind != "HorizontalPodAutoscaler"):
                meta = workload["metadata"]
                data["verification"] = remediate.verify_workload(
                    kube, workload["kind"], meta["namespace"], meta["name"], selector=target.selector
                )
            elif kind == "scale":
                data["verification"] = remediate.verify_hpa(kube, change.namespace or "", change.name)
                meta = workload["metadata"]
                data["workload"] = remediate.verify_workload(
                    kube, workload["kind"], meta["namespace"], meta["name"], selector=target.selector, timeout=10
                )
            elif kind == "delete_pod":
                data["verification"] = _verify_replacement(kube, target, args.pod)
            elif kind == "cordon":
                node = kube.get("Node", None, args.node)
                data["verification"] = {
                    "verified": bool((node.get("spec") or {}).get("unschedulable")) == args.cordon,
                    "unschedulable": bool((node.get("spec") or {}).get("unschedulable")),
                }
        except KubeError as exc:
            data["verification"] = {"verified": False, "reason": f"applied, but could not verify: {exc.message}"}
        verified = (data.get("verification") or {}).get("verified")
        note = (
            None
            if verified
            else (
                "the change was applied but did not verify: "
                + str((data.get("verification") or {}).get("reason", "unknown"))
            )
        )
        return ToolResult(
            data=data, query=query, note=note, source=f"cluster {kube.cluster}", refs=[target.ref] if target else []
        )

    return execute


def _verify_replacement(kube: Kube, target: Target, deleted: str) -> dict[str, Any]:
    from tools.kubernetes.analyzers.base import is_ready

    pods = kube.list("Pod", target.namespace, label_selector=target.selector)
    names = [p["metadata"]["name"] for p in pods]
    return {
        "verified": deleted not in names,
        "pods": [f"{p['metadata']['name']} {'ready' if is_ready(p) else 'not ready'}" for p in pods[:8]],
    }


def _cordon_target(args: CordonArgs, ctx: ToolContext) -> str:
    from tools.kubernetes.clusters import clusters_for

    cluster = clusters_for(ctx.runtime).resolve(args.cluster)
    return f"resource:default/{cluster}"


def build_tools(runtime: FamilyRuntime) -> list[PortalTool]:
    def read(name, description, schema, func):
        return PortalTool(name=name, description=description, args_schema=schema, func=func, family=FAMILY)

    def mutating(name, description, schema, kind, action, risk, target=_entity_target):
        return PortalTool(
            name=name,
            description=description,
            args_schema=schema,
            func=_executor(kind),
            family=FAMILY,
            mutating=True,
            target=target,
            preview=_previewer(kind),
            risk=risk,
            action=action,
        )

    return [
        read(
            "k8s_workloads",
            "What is running for a catalog component: its Deployments/StatefulSets/DaemonSets, "
            "pods and their states, HPAs, Services and Ingresses.",
            EntityArgs,
            _workloads,
        ),
        read(
            "k8s_diagnose",
            "Diagnose why a component's workloads fail: runs deterministic analyzers "
            "(CrashLoopBackOff, OOMKilled, image pull, unschedulable, probes, restarts, stuck rollout, HPA at max) "
            "and returns findings with evidence and suggested fixes.",
            EntityArgs,
            _diagnose,
        ),
        read(
            "k8s_events",
            "Recent Kubernetes events of a component's objects (warnings by default).",
            EventsArgs,
            _events,
        ),
        read(
            "k8s_logs",
            "Container logs of a component's pod (tail, previous instance), capped in tokens with error lines first.",
            LogsArgs,
            _logs,
        ),
        read(
            "k8s_rollout_history",
            "Rollout history of a component's Deployment: revisions, images, and what changed in the latest rollout.",
            EntityArgs,
            _history,
        ),
        mutating(
            "k8s_rollout_restart",
            "Rollout restart of a component's workload (replaces its pods). Needs approval.",
            EntityArgs,
            "restart",
            "rollout restart",
            _risk("medium"),
        ),
        mutating(
            "k8s_scale",
            "Scale a component's workload to N replicas; if an HPA controls it, adjusts the "
            "HPA's bounds instead. Needs approval.",
            ScaleArgs,
            "scale",
            "scale",
            _risk("medium"),
        ),
        mutating(
            "k8s_rollback",
            "Roll a component's Deployment back to a previous revision (rollout undo). Needs approval.",
            RollbackArgs,
            "rollback",
            "rollback",
            _risk("medium"),
        ),
        mutating(
            "k8s_delete_pod",
            "Delete one pod of a component (its controller replaces it). Needs approval.",
            DeletePodArgs,
            "delete_pod",
            "delete pod",
            _risk("low"),
        ),
        mutating(
            "k8s_cordon",
            "Cordon or uncordon a node (stop/allow scheduling). Needs approval by an admin.",
            CordonArgs,
            "cordon",
            "cordon node",
            "high",
            target=_cordon_target,
        ),
    ]
