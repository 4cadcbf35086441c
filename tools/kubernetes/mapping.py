"""Catalog entity → the workloads that belong to it, the way Backstage's Kubernetes plugin does it.

``backstage.io/kubernetes-label-selector`` wins; otherwise objects labelled
``backstage.io/kubernetes-id=<id>``. ``backstage.io/kubernetes-namespace`` narrows the search to
one namespace (else all namespaces are searched).

A name that is no catalog entity may name a workload or pod in the cluster itself ("why is pod
test-oom-7d9f crashing?"): then the target is that object, found by name, so clusters without a
catalog (a captured snapshot, a cluster nobody catalogued) are still diagnosable. Besides workloads
and pods, that object may be a Job, HPA or PVC, a ReplicaSet or Job known by the pods it owns, an
object known only from its events (a deleted pod, a node), or a whole namespace
(``namespace:<name>``); remediations refuse all but one workload (:meth:`Target.not_changeable`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.kubernetes.errors import KubeError

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime

K8S_ID = "backstage.io/kubernetes-id"
K8S_SELECTOR = "backstage.io/kubernetes-label-selector"
K8S_NAMESPACE = "backstage.io/kubernetes-namespace"


@dataclass
class Target:
    ref: str
    name: str  # the entity's name, used for workload names in messages
    selector: str
    namespace: str | None
    lifecycle: str | None = None
    pod: str | None = None  # one pod by name, when the ask named a pod rather than a component
    kind: str | None = None  # the kind of the object the ask named (None: a catalog component)
    owner: str | None = None  # pods owned by this ReplicaSet or Job name (ownerReferences)
    events_only: bool = False  # the object is known only from the events about it

    def not_changeable(self) -> str | None:
        """Why no remediation may act on this target (it names no one workload), else None."""
        if self.events_only:
            return f"{self.ref} is known only from its events: there is no object to change"
        if self.owner or self.kind in ("Namespace", "Job", "HorizontalPodAutoscaler", "PersistentVolumeClaim"):
            return f"{self.ref} is a {self.kind}, not one workload: name the Deployment, StatefulSet or DaemonSet"
        return None

    def describe(self) -> str:
        where = f"namespace {self.namespace}" if self.namespace else "all namespaces"
        if self.events_only:
            what = f"events about {self.kind} {self.name}"
        elif self.pod:
            what = f"pod {self.pod}"
        elif self.owner:
            what = f"pods owned by {self.owner}"
        elif self.kind == "Namespace":
            what = "every object"
        else:
            what = f"selector {self.selector or '(none)'}"
        return f"{self.ref} → {what} in {where}"


def target_for(runtime: FamilyRuntime, name_or_ref: str, cluster: str | None = None) -> Target:
    catalog = runtime.catalog
    entity = catalog.get(name_or_ref, default_kind="component")
    if entity is None:
        found = object_target(runtime, name_or_ref, cluster)
        if found is not None:
            return found
        hints = catalog.suggest(name_or_ref, limit=3, kind="component") if hasattr(catalog, "suggest") else []
        raise KubeError(
            f"no catalog entity {name_or_ref!r}" + (f"; did you mean {', '.join(hints)}?" if hints else ""),
            kind="not_found",
        )
    annotations = entity.metadata.annotations or {}
    selector = (annotations.get(K8S_SELECTOR) or "").strip()
    k8s_id = (annotations.get(K8S_ID) or "").strip()
    if not selector and not k8s_id:
        raise KubeError(
            f"{entity.ref} is not linked to Kubernetes workloads: it has neither {K8S_ID} nor {K8S_SELECTOR}",
            kind="not_linked",
        )
    if not selector:
        selector = f"{K8S_ID}={k8s_id}"
    namespace = (annotations.get(K8S_NAMESPACE) or "").strip() or None
    return Target(
        ref=entity.ref,
        name=entity.metadata.name,
        selector=selector,
        namespace=namespace,
        lifecycle=(entity.spec or {}).get("lifecycle"),
    )


# Labels that tell one pod or revision apart, not the workload: left out of a pod's selector.
INSTANCE_LABELS = {"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name"}
OBJECT_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "Pod",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
)
# How asks and refs spell a kind ("hpa:argocd/sample", "pvc:testpvc"), lower-case → kind.
KIND_ALIASES = {
    **{k.lower(): k for k in (*OBJECT_KINDS, "ReplicaSet", "Node", "Namespace")},
    "hpa": "HorizontalPodAutoscaler",
    "pvc": "PersistentVolumeClaim",
    "rs": "ReplicaSet",
    "ns": "Namespace",
}


def object_target(runtime: FamilyRuntime, name: str, cluster: str | None) -> Target | None:
    """A workload, pod, Job, HPA or PVC of the cluster named ``name`` (or ``kind:namespace/name``), else
    the pods a ReplicaSet or Job of that name owns, else an object only the events speak of; or None.

    ``namespace:<name>`` is a whole namespace.
    """
    from tools.kubernetes.client import kube_for

    prefix, colon, rest = name.partition(":")
    named_kind = KIND_ALIASES.get(prefix.lower()) if colon else None
    if colon and named_kind is None:
        return None
    namespace, _, short = (rest if named_kind else name).rpartition("/")
    try:
        kube = kube_for(runtime, cluster)
    except KubeError:
        return None
    if named_kind == "Namespace":
        return Target(ref=f"namespace:{short}", name=short, selector="", namespace=short, kind="Namespace")
    kinds = [named_kind] if named_kind in OBJECT_KINDS else ([] if named_kind else list(OBJECT_KINDS))
    for kind in kinds:
        try:
            hits = kube.list(kind, namespace or None, field_selector=f"metadata.name={short}")
        except KubeError as exc:
            if exc.kind in ("not_found", "forbidden") or "unsupported kind" in exc.message:
                continue
            return None  # unreachable or failing: one failure, not one timeout per kind
        hits = [h for h in hits if h["metadata"].get("name") == short]  # a server may ignore the field selector
        if not hits:
            continue
        obj = hits[0]
        meta = obj["metadata"]
        ns = meta.get("namespace")
        ref = f"{kind.lower()}:{ns + '/' if ns else ''}{short}"
        if kind == "Pod":
            labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in INSTANCE_LABELS}
            selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            return Target(ref=ref, name=short, selector=selector, namespace=ns, pod=short, kind=kind)
        if kind in ("HorizontalPodAutoscaler", "PersistentVolumeClaim"):
            return Target(ref=ref, name=short, selector="", namespace=ns, kind=kind)
        if kind == "Job":  # a Job's pods are the ones it owns (its selector is a controller uid)
            return Target(ref=ref, name=short, selector="", namespace=ns, kind=kind, owner=short)
        match = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(match.items()))
        return Target(ref=ref, name=short, selector=selector, namespace=ns, kind=kind)
    return _owner_target(kube, named_kind, namespace, short) or _event_target(kube, named_kind, namespace, short)


def _owner_target(kube, named_kind: str | None, namespace: str, short: str) -> Target | None:
    """The pods a ReplicaSet or Job named ``short`` owns, when the cluster holds no such object itself."""
    if named_kind not in (None, "ReplicaSet", "Job"):
        return None
    try:
        pods = kube.list("Pod", namespace or None)
    except KubeError:
        return None
    for p in pods:
        for o in p["metadata"].get("ownerReferences") or []:
            if o.get("name") == short and (named_kind is None or o.get("kind") == named_kind):
                ns = p["metadata"].get("namespace")
                kind = o.get("kind") or "ReplicaSet"
                return Target(
                    ref=f"{kind.lower()}:{ns + '/' if ns else ''}{short}",
                    name=short,
                    selector="",
                    namespace=ns,
                    kind=kind,
                    owner=short,
                )
    return None


def _event_target(kube, named_kind: str | None, namespace: str, short: str) -> Target | None:
    """An object the cluster holds no record of, but events are about (a deleted pod, a node)."""
    try:
        events = kube.list("Event", namespace or None, field_selector=f"involvedObject.name={short}")
    except KubeError:
        return None
    for ev in events:
        inv = ev.get("involvedObject") or {}
        if inv.get("name") != short or (named_kind and inv.get("kind") != named_kind):
            continue
        kind = inv.get("kind") or "Object"
        ns = inv.get("namespace") or (ev.get("metadata") or {}).get("namespace")
        scoped = ns if kind != "Node" else None
        return Target(
            ref=f"{kind.lower()}:{scoped + '/' if scoped else ''}{short}",
            name=short,
            selector="",
            namespace=scoped,
            kind=kind,
            pod=short if kind == "Pod" else None,
            events_only=True,
        )
    return None
