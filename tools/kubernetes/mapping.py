"""Catalog entity → the workloads that belong to it, the way Backstage's Kubernetes plugin does it.

``backstage.io/kubernetes-label-selector`` wins; otherwise objects labelled
``backstage.io/kubernetes-id=<id>``. ``backstage.io/kubernetes-namespace`` narrows the search to
one namespace (else all namespaces are searched).

A name that is no catalog entity may name a workload or pod in the cluster itself ("why is pod
test-oom-7d9f crashing?"): then the target is that object, found by name, so clusters without a
catalog (a captured snapshot, a cluster nobody catalogued) are still diagnosable.
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

    def describe(self) -> str:
        where = f"namespace {self.namespace}" if self.namespace else "all namespaces"
        what = f"pod {self.pod}" if self.pod else f"selector {self.selector or '(none)'}"
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
OBJECT_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Pod")


def object_target(runtime: FamilyRuntime, name: str, cluster: str | None) -> Target | None:
    """A workload or pod of the cluster named ``name`` (or ``namespace/name``), else None."""
    from tools.kubernetes.client import kube_for

    prefix, colon, rest = name.partition(":")
    kinds = [k for k in OBJECT_KINDS if colon and k.lower() == prefix.lower()] or OBJECT_KINDS
    namespace, _, short = (rest if colon and kinds != OBJECT_KINDS else name).rpartition("/")
    try:
        kube = kube_for(runtime, cluster)
    except KubeError:
        return None
    for kind in kinds:
        try:
            hits = kube.list(kind, namespace or None, field_selector=f"metadata.name={short}")
        except KubeError as exc:
            if exc.kind in ("not_found", "forbidden"):
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
            return Target(ref=ref, name=short, selector=selector, namespace=ns, pod=short)
        match = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(match.items()))
        return Target(ref=ref, name=short, selector=selector, namespace=ns)
    return None
