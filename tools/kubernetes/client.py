"""Thin access to one cluster through the official client, returning the API's own JSON.

Objects are read with ``_preload_content=False`` and parsed as JSON, so the analyzers see exactly
what the API served (camelCase, as in ``kubectl get -o json`` and the real fixtures), not the
client's model classes. Every call carries a timeout, and every failure becomes a
:class:`~tools.kubernetes.errors.KubeError` phrased for a person. Secrets are not readable here
at all: there is no method for them, on purpose.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tools.kubernetes.clusters import CONNECT_TIMEOUT, READ_TIMEOUT, Clusters, clusters_for
from tools.kubernetes.errors import KubeError, describe

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.kubernetes.snapshot import SnapshotKube

# kind -> (API class, snake name used in the generated method names, namespaced)
KINDS: dict[str, tuple[str, str, bool]] = {
    "Pod": ("CoreV1Api", "pod", True),
    "Service": ("CoreV1Api", "service", True),
    "Event": ("CoreV1Api", "event", True),
    "Node": ("CoreV1Api", "node", False),
    "Deployment": ("AppsV1Api", "deployment", True),
    "ReplicaSet": ("AppsV1Api", "replica_set", True),
    "StatefulSet": ("AppsV1Api", "stateful_set", True),
    "DaemonSet": ("AppsV1Api", "daemon_set", True),
    "HorizontalPodAutoscaler": ("AutoscalingV2Api", "horizontal_pod_autoscaler", True),
    "Ingress": ("NetworkingV1Api", "ingress", True),
    "CronJob": ("BatchV1Api", "cron_job", True),
    "Job": ("BatchV1Api", "job", True),
    "PersistentVolumeClaim": ("CoreV1Api", "persistent_volume_claim", True),
}
FORBIDDEN_KINDS = {"Secret"}


def readable_kind(kind: str) -> tuple[str, str, bool]:
    """The client class, method stem and scope of a kind this family may read; KubeError otherwise
    (Secrets never: their data is never read or shown)."""
    if kind in FORBIDDEN_KINDS:
        raise KubeError(f"reading {kind} objects is not allowed: secret data is never read or shown")
    if kind not in KINDS:
        raise KubeError(f"unsupported kind {kind}")
    return KINDS[kind]


class Kube:
    """One cluster. ``timeout`` is (connect, read) seconds."""

    def __init__(
        self,
        clusters: Clusters,
        cluster: str | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ):
        self.clusters = clusters
        self.cluster = clusters.resolve(cluster)
        self.timeout = timeout

    def _api(self, cls_name: str) -> Any:
        from kubernetes import client

        return getattr(client, cls_name)(self.clusters.client(self.cluster))

    def _call(self, action: str, fn, *args, raw: bool = False, **kwargs) -> Any:
        try:
            response = fn(*args, _preload_content=False, _request_timeout=self.timeout, **kwargs)
            data = response.data
        except KubeError:
            raise
        except Exception as exc:
            raise describe(exc, cluster=self.cluster, action=action) from exc
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)
        if raw:
            return text
        try:
            return json.loads(text) if text else {}
        except json.JSONDecodeError as exc:
            raise KubeError(
                f"cluster {self.cluster}: the API returned something that is not JSON while trying to {action}"
            ) from exc

    def _kind(self, kind: str) -> tuple[Any, str, bool]:
        cls_name, snake, namespaced = readable_kind(kind)
        return self._api(cls_name), snake, namespaced

    # --- reads ---------------------------------------------------------------------------------
    def list(
        self,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        api, snake, namespaced = self._kind(kind)
        kwargs: dict[str, Any] = {}
        if label_selector:
            kwargs["label_selector"] = label_selector
        if field_selector:
            kwargs["field_selector"] = field_selector
        if limit:
            kwargs["limit"] = limit
        where = f"in namespace {namespace}" if namespace else "in all namespaces"
        action = f"list {kind}s {where}" + (f" with selector {label_selector}" if label_selector else "")
        if not namespaced:
            body = self._call(action, getattr(api, f"list_{snake}"), **kwargs)
        elif namespace:
            body = self._call(action, getattr(api, f"list_namespaced_{snake}"), namespace, **kwargs)
        else:
            body = self._call(action, getattr(api, f"list_{snake}_for_all_namespaces"), **kwargs)
        items = body.get("items") or []
        for item in items:  # lists leave kind out of their items
            item.setdefault("kind", kind)
        return items

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
        api, snake, namespaced = self._kind(kind)
        action = f"read {kind} {namespace + '/' if namespace else ''}{name}"
        if namespaced:
            return self._call(action, getattr(api, f"read_namespaced_{snake}"), name, namespace)
        return self._call(action, getattr(api, f"read_{snake}"), name)

    def logs(
        self, namespace: str, pod: str, container: str | None = None, *, tail: int = 100, previous: bool = False
    ) -> str:
        api = self._api("CoreV1Api")
        kwargs: dict[str, Any] = {"tail_lines": tail, "previous": previous}
        if container:
            kwargs["container"] = container
        what = "previous container's logs" if previous else "logs"
        return self._call(
            f"read the {what} of pod {namespace}/{pod}", api.read_namespaced_pod_log, pod, namespace, raw=True, **kwargs
        )

    # --- writes --------------------------------------------------------------------------------
    def patch(
        self,
        kind: str,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        dry_run: bool,
        subresource: str | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        api, snake, namespaced = self._kind(kind)
        method = f"patch_{'namespaced_' if namespaced else ''}{snake}" + (f"_{subresource}" if subresource else "")
        kwargs: dict[str, Any] = {}
        if dry_run:
            kwargs["dry_run"] = "All"
        if content_type:
            kwargs["_content_type"] = content_type
        target = f"{kind} {namespace + '/' if namespace else ''}{name}" + (f"/{subresource}" if subresource else "")
        action = f"{'dry-run ' if dry_run else ''}patch {target}"
        args = (name, namespace, body) if namespaced else (name, body)
        return self._call(action, getattr(api, method), *args, **kwargs)

    def delete_pod(self, namespace: str, name: str, *, dry_run: bool) -> dict[str, Any]:
        api = self._api("CoreV1Api")
        kwargs: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
        return self._call(
            f"{'dry-run ' if dry_run else ''}delete pod {namespace}/{name}",
            api.delete_namespaced_pod,
            name,
            namespace,
            **kwargs,
        )


def kube_for(runtime: FamilyRuntime, cluster: str | None) -> Kube | SnapshotKube:
    """One of the runtime's clusters by name (the first one when ``cluster`` is None).

    A snapshot cluster is served from its files by :class:`~tools.kubernetes.snapshot.SnapshotKube`,
    which has the same methods, so callers never branch on where a cluster's objects come from.
    """
    clusters = clusters_for(runtime)
    name = clusters.resolve(cluster)
    if clusters.is_snapshot(name):
        from tools.kubernetes.snapshot import SnapshotKube

        return SnapshotKube(clusters, name, clusters.snapshot(name))
    return Kube(clusters, name)
