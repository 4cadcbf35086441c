"""Catalog entity → the workloads that belong to it, the way Backstage's Kubernetes plugin does it.

``backstage.io/kubernetes-label-selector`` wins; otherwise objects labelled
``backstage.io/kubernetes-id=<id>``. ``backstage.io/kubernetes-namespace`` narrows the search to
one namespace (else all namespaces are searched).
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

    def describe(self) -> str:
        where = f"namespace {self.namespace}" if self.namespace else "all namespaces"
        return f"{self.ref} → selector {self.selector} in {where}"


def target_for(runtime: FamilyRuntime, name_or_ref: str) -> Target:
    catalog = runtime.catalog
    entity = catalog.get(name_or_ref, default_kind="component")
    if entity is None:
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
