"""The Kubernetes tools: reads, diagnosis, and the mutating remediations (behind the approval gate).

Read tools return compact data (never whole objects, never env values, never Secret data) with the
exact selector and namespace they used. Mutating tools are the :data:`remediations.REMEDIATIONS`,
each with its ``target`` (the catalog entity the approval policy checks), ``preview`` (a server-side
dry run) and ``execute`` (apply, verify, report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from contract.tooling import PortalTool, ToolContext, ToolResult
from tools.kubernetes.args import EntityArgs
from tools.kubernetes.errors import KubeError
from tools.kubernetes.remediations import REMEDIATIONS

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.kubernetes.client import Kube
    from tools.kubernetes.mapping import Target

FAMILY = "kubernetes"
DIAGNOSIS_LOG_TAIL = 40


# --- argument schemas of the reads (the remediations declare their own) -------------------------
class LogsArgs(EntityArgs):
    pod: str | None = Field(None, description="Pod name; default: the least healthy pod of the entity")
    container: str | None = Field(None, description="Container name; default: the pod's first container")
    tail: int = Field(200, ge=1, le=5000, description="Lines to read from the end of the log")
    previous: bool = Field(False, description="Logs of the previous (crashed) container instance")
    max_tokens: int = Field(500, ge=100, le=2000, description="Cap on the returned log text; error lines first")


class EventsArgs(EntityArgs):
    warnings_only: bool = Field(True, description="Only Warning events")
    limit: int = Field(12, ge=1, le=100, description="How many events to show, newest first")
    by_count: bool = Field(False, description="Most frequent first (by count) instead of newest first")


LIST_KINDS = (
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "PersistentVolumeClaim",
    "HorizontalPodAutoscaler",
)


class ListArgs(BaseModel):
    kind: Literal[LIST_KINDS] = Field("Pod", description="Kind of object to list")  # type: ignore[valid-type]
    namespace: str | None = Field(None, description="Namespace; default: all namespaces")
    node: str | None = Field(None, description="Only pods scheduled on this node")
    state: str | None = Field(
        None, description="Only objects in this state: Pending, not ready, Failed, Running, CrashLoopBackOff, Bound…"
    )
    limit: int = Field(20, ge=1, le=100, description="How many objects to show")
    cluster: str | None = Field(None, description="Cluster (kubeconfig context) name; default: the first one")


# --- plumbing ----------------------------------------------------------------------------------
def _kube(ctx: ToolContext, cluster: str | None) -> Kube:
    from tools.kubernetes.client import kube_for

    return kube_for(ctx.runtime, cluster)


def _target(ctx: ToolContext, name: str, cluster: str | None) -> Target:
    from tools.kubernetes.mapping import target_for

    return target_for(ctx.runtime, name, cluster)


def _source(kube: Kube) -> str:
    """Where the objects came from, as answers name it: a snapshot says it is one."""
    from tools.kubernetes.snapshot import SnapshotKube

    if isinstance(kube, SnapshotKube):
        return f"cluster {kube.cluster} (a read-only snapshot loaded from files; times are as captured)"
    return f"cluster {kube.cluster}"


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
def _describe(args: EntityArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.describe import describe
    from tools.kubernetes.workloads import collect

    target = _target(ctx, args.name, args.cluster)
    kube = _kube(ctx, args.cluster)
    snap = collect(kube, target)
    data = describe(snap, target.pod)
    if not data["pods"] and not data["workloads"] and not data.get("objects"):
        return ToolResult.failure(
            f"nothing found for {target.describe()} on cluster {kube.cluster}", _query(target, kube)
        )
    return ToolResult(data=data, query=_query(target, kube), source=_source(kube), refs=[target.ref])


@_guard
def _workloads(args: EntityArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.workloads import collect, summarize

    target = _target(ctx, args.name, args.cluster)
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
    return ToolResult(data=data, query=_query(target, kube), source=_source(kube), refs=[target.ref])


@_guard
def _events(args: EventsArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.analyzers.base import event_text
    from tools.kubernetes.workloads import collect

    target = _target(ctx, args.name, args.cluster)
    kube = _kube(ctx, args.cluster)
    snap = collect(kube, target)
    events = [e for e in snap.events if not args.warnings_only or e.get("type") == "Warning"]
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "", reverse=True)
    if args.by_count:
        events.sort(key=lambda e: -(e.get("count") or (e.get("series") or {}).get("count") or 1))
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
        source=_source(kube),
        query=_query(target, kube, warnings_only=args.warnings_only),
        refs=[target.ref],
    )


@_guard
def _list(args: ListArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.workloads import list_rows

    kube = _kube(ctx, args.cluster)
    field = f"spec.nodeName={args.node}" if args.node and args.kind == "Pod" else None
    objects = kube.list(args.kind, args.namespace, field_selector=field)
    rows = list_rows(args.kind, objects, args.state)
    data: dict[str, Any] = {
        "kind": args.kind,
        "rows": [row for _, row in rows[: args.limit]],
        "refs": [ref for ref, _ in rows[: args.limit]],
        "matched": len(rows),
        "of": len(objects),
    }
    note = f"{len(rows) - args.limit} more left out" if len(rows) > args.limit else None
    return ToolResult(
        data=data,
        note=note,
        source=_source(kube),
        query={
            "cluster": kube.cluster,
            "kind": args.kind,
            "namespace": args.namespace or "(all)",
            **({"node": args.node} if args.node else {}),
            **({"state": args.state} if args.state else {}),
        },
    )


@_guard
def _logs(args: LogsArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.workloads import collect, compress_log, pick_pod

    target = _target(ctx, args.name, args.cluster)
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
        source=_source(kube),
        query=_query(target, kube, pod=pod["metadata"]["name"], container=container, tail=args.tail, previous=previous),
        refs=[target.ref],
    )


@_guard
def _history(args: EntityArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.workloads import collect, history, template_diff

    target = _target(ctx, args.name, args.cluster)
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
    return ToolResult(data=data, query=_query(target, kube), source=_source(kube), refs=[target.ref])


@_guard
def _diagnose(args: EntityArgs, ctx: ToolContext) -> ToolResult:
    from tools.kubernetes.analyzers import ANALYZERS, analyze
    from tools.kubernetes.workloads import collect, healthy, summarize

    target = _target(ctx, args.name, args.cluster)
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
    return ToolResult(data=data, query=_query(target, kube), source=_source(kube), refs=[target.ref], note=note)


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


def build_tools(runtime: FamilyRuntime) -> list[PortalTool]:
    def read(name, description, schema, func):
        return PortalTool(name=name, description=description, args_schema=schema, func=func, family=FAMILY)

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
            "k8s_describe",
            "Describe a pod or workload like kubectl describe: node, phase, conditions, each container's image, "
            "requests/limits, probes, state and last termination (reason, exit code), restarts, and its events "
            "with counts. Name a catalog component, or a Kubernetes object as pod:<name> / deployment:<name>.",
            EntityArgs,
            _describe,
        ),
        read(
            "k8s_list",
            "List the objects of one kind (pods by default) in a namespace or the cluster, optionally only those "
            "on a node or in a state (Pending, not ready, Failed…): each with its state, node and reason.",
            ListArgs,
            _list,
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
        *(
            PortalTool(
                name=name,
                description=remediation.description,
                args_schema=remediation.schema,
                func=remediation.execute,
                family=FAMILY,
                mutating=True,
                target=remediation.target,
                preview=remediation.preview,
                risk=remediation.risk,
                action=remediation.action,
            )
            for name, remediation in REMEDIATIONS.items()
        ),
    ]
