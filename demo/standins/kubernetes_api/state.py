"""The demo cluster's state and the few controllers it simulates.

Objects are kept as the API serves them (camelCase dicts). Mutations go through the same rules a
real API server and its controllers apply, simplified: a changed pod template makes a new
ReplicaSet revision (or reuses the old one on a rollback) and replaces the pods; a scale changes
the pod count; a deleted pod is replaced; an HPA keeps its target within its bounds; a dry run
computes the result and stores nothing.
"""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from demo.standins.kubernetes_api.objects import (
    REVISION,
    deployment_status,
    event,
    pod,
    replica_set,
    short_hash,
    template_hash,
    ts,
)

# (group, resource) -> kind; group "" is the core API.
RESOURCES: dict[tuple[str, str], str] = {
    ("", "pods"): "Pod",
    ("", "services"): "Service",
    ("", "events"): "Event",
    ("", "nodes"): "Node",
    ("", "namespaces"): "Namespace",
    ("", "secrets"): "Secret",
    ("", "configmaps"): "ConfigMap",
    ("apps", "deployments"): "Deployment",
    ("apps", "replicasets"): "ReplicaSet",
    ("apps", "statefulsets"): "StatefulSet",
    ("apps", "daemonsets"): "DaemonSet",
    ("autoscaling", "horizontalpodautoscalers"): "HorizontalPodAutoscaler",
    ("networking.k8s.io", "ingresses"): "Ingress",
    ("batch", "cronjobs"): "CronJob",
    ("batch", "jobs"): "Job",
}
KIND_TO_RESOURCE = {kind: key for key, kind in RESOURCES.items()}
CLUSTER_SCOPED = {"nodes", "namespaces"}

Key = tuple[str, str, str]  # kind, namespace ("" for cluster-scoped), name


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def status(self) -> dict[str, Any]:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }


def now() -> datetime:
    return datetime.now(UTC)


def _load_yaml_all(path: Path) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader) if d]


class ClusterState:
    def __init__(
        self,
        objects: list[dict[str, Any]],
        logs: dict[str, str] | None = None,
        behaviours: dict[str, Any] | None = None,
    ):
        self.lock = threading.RLock()
        self.objects: dict[Key, dict[str, Any]] = {}
        self.logs = dict(logs or {})
        self.behaviours = behaviours or {}
        self.resource_version = 1000
        for obj in objects:
            self._put(copy.deepcopy(obj))

    def save(self, path: Path) -> None:
        """Write the current objects, so another process of the same demo sees the changes."""
        import json

        from contract.private_files import write_private

        write_private(
            path, json.dumps({"resourceVersion": self.resource_version, "objects": list(self.objects.values())})
        )

    @classmethod
    def from_dir(cls, folder: Path, saved: Path | None = None) -> ClusterState:
        """The seed state in ``folder``, or the state a previous process saved to ``saved``."""
        if saved is not None and saved.exists():
            import json

            try:
                data = json.loads(saved.read_text())
            except (OSError, ValueError):  # a torn or edited file: start again from the seed
                return cls._from_seed(folder)
            logs = yaml.safe_load((folder / "logs.yaml").read_text()) if (folder / "logs.yaml").exists() else {}
            behaviours = yaml.safe_load((folder / "behaviours.yaml").read_text()) or {}
            state = cls([], logs, behaviours)
            for obj in data["objects"]:
                key = (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
                state.objects[key] = obj
            state.resource_version = int(data.get("resourceVersion", 1000))
            return state
        return cls._from_seed(folder)

    @classmethod
    def _from_seed(cls, folder: Path) -> ClusterState:
        objects = _load_yaml_all(folder / "tessera-prod.yaml")
        logs = yaml.safe_load((folder / "logs.yaml").read_text()) if (folder / "logs.yaml").exists() else {}
        behaviours = yaml.safe_load((folder / "behaviours.yaml").read_text()) or {}
        return cls(objects, logs, behaviours)

    # --- storage -------------------------------------------------------------------------------
    def _put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.resource_version += 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self.resource_version)
        self.objects[(obj["kind"], meta.get("namespace", ""), meta["name"])] = obj
        return obj

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        obj = self.objects.get((kind, namespace, name))
        if obj is None:
            group, resource = KIND_TO_RESOURCE[kind]
            res = f"{resource}.{group}" if group else resource
            raise ApiError(404, "NotFound", f'{res} "{name}" not found')
        return obj

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return [o for (k, ns, _), o in sorted(self.objects.items()) if k == kind and (namespace in (None, ns))]

    def delete(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        obj = self.get(kind, namespace, name)
        del self.objects[(kind, namespace, name)]
        return obj

    def record_event(
        self,
        obj: dict[str, Any],
        reason: str,
        message: str,
        *,
        type_: str = "Normal",
        component: str = "deployment-controller",
    ) -> None:
        ev = event(obj, reason, message + "", type_=type_, first=now(), component=component)
        ev["metadata"]["name"] += short_hash(now().isoformat(), length=6)
        self._put(ev)

    # --- behaviours ----------------------------------------------------------------------------
    def _behaviour(self, template: dict[str, Any]) -> dict[str, Any]:
        images = self.behaviours.get("images") or {}
        for container in template["spec"].get("containers", []):
            found = images.get(container.get("image"))
            if found:
                return found
        return {"mode": "healthy"}

    def log_for(self, namespace: str, pod_name: str, container: str, previous: bool) -> str:
        key = f"{namespace}/{pod_name}/{container}" + ("/previous" if previous else "")
        if key in self.logs:
            return self.logs[key]
        p = self.get("Pod", namespace, pod_name)
        if previous:
            statuses = p["status"].get("containerStatuses", [])
            mine = next((s for s in statuses if s["name"] == container), None)
            if not mine or not mine.get("lastState", {}).get("terminated"):
                raise ApiError(
                    400, "BadRequest", f'previous terminated container "{container}" in pod "{pod_name}" not found'
                )
            behaviour = self._behaviour(p)
            return behaviour.get("log", "")
        waiting = next(
            (
                s.get("state", {}).get("waiting")
                for s in p["status"].get("containerStatuses", [])
                if s["name"] == container
            ),
            None,
        )
        if waiting or p["status"].get("phase") == "Pending":
            reason = (waiting or {}).get("reason", "ContainerCreating")
            raise ApiError(
                400, "BadRequest", f'container "{container}" in pod "{pod_name}" is waiting to start: {reason}'
            )
        behaviour = self._behaviour(p)
        if behaviour.get("mode") == "crashloop":
            return behaviour.get("log", "")
        started = p["status"].get("startTime", "")
        return (
            f"{started} INFO  {container} starting\n{started} INFO  listening on :8080\n"
            f"{started} INFO  GET /healthz/ready 200 2ms\n"
        )

    # --- controllers ---------------------------------------------------------------------------
    def pods_of_rs(self, rs: dict[str, Any]) -> list[dict[str, Any]]:
        uid_ = rs["metadata"]["uid"]
        return [
            p
            for p in self.list("Pod", rs["metadata"]["namespace"])
            if any(o.get("uid") == uid_ for o in p["metadata"].get("ownerReferences", []))
        ]

    def replicasets_of(self, dep: dict[str, Any]) -> list[dict[str, Any]]:
        uid_ = dep["metadata"]["uid"]
        return [
            r
            for r in self.list("ReplicaSet", dep["metadata"]["namespace"])
            if any(o.get("uid") == uid_ for o in r["metadata"].get("ownerReferences", []))
        ]

    def _new_pod(self, rs: dict[str, Any], index: int) -> dict[str, Any]:
        behaviour = self._behaviour(rs["spec"]["template"])
        mode = behaviour.get("mode", "healthy")
        suffix = short_hash("runtime-pod", rs["metadata"]["name"], index, now().isoformat(), length=5)
        return pod(
            rs,
            index,
            mode=mode,
            behaviour=behaviour,
            created=now(),
            restarts=1 if mode == "crashloop" else 0,
            suffix=suffix,
        )

    def _scale_rs(self, rs: dict[str, Any], replicas: int) -> None:
        rs["spec"]["replicas"] = replicas
        pods = self.pods_of_rs(rs)
        for extra in pods[replicas:]:
            self.delete("Pod", extra["metadata"]["namespace"], extra["metadata"]["name"])
        for i in range(len(pods), replicas):
            self._put(self._new_pod(rs, i))
        mine = self.pods_of_rs(rs)
        ready = sum(1 for p in mine if _ready(p))
        rs["status"] = {
            "replicas": len(mine),
            "fullyLabeledReplicas": len(mine),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        self._put(rs)

    def reconcile_deployment(self, dep: dict[str, Any]) -> None:
        """The deployment controller, collapsed to one step: roll to the current template."""
        ns = dep["metadata"]["namespace"]
        wanted = template_hash(dep["spec"]["template"])
        rss = self.replicasets_of(dep)
        current = next((r for r in rss if r["metadata"]["labels"].get("pod-template-hash") == wanted), None)
        top = max((int(r["metadata"].get("annotations", {}).get(REVISION, 0)) for r in rss), default=0)
        desired = dep["spec"].get("replicas", 1)
        rolled = False
        if current is None:
            current = replica_set(dep, top + 1, now(), 0)
            self._put(current)
            rolled = True
            self.record_event(
                dep, "ScalingReplicaSet", f"Scaled up replica set {current['metadata']['name']} from 0 to {desired}"
            )
        elif int(current["metadata"]["annotations"].get(REVISION, 0)) != top:
            current["metadata"]["annotations"][REVISION] = str(top + 1)  # a rollback reuses the old RS
            rolled = True
        for rs in rss:
            if rs is not current and rs["spec"].get("replicas", 0):
                self._scale_rs(rs, 0)
                self.record_event(dep, "ScalingReplicaSet", f"Scaled down replica set {rs['metadata']['name']} to 0")
        if rolled:  # replace every pod of the new revision (a restart or rollback)
            for p in self.pods_of_rs(current):
                self.delete("Pod", ns, p["metadata"]["name"])
        self._scale_rs(current, desired)
        dep["metadata"].setdefault("annotations", {})[REVISION] = current["metadata"]["annotations"][REVISION]
        rss = self.replicasets_of(dep)
        pods = [p for r in rss for p in self.pods_of_rs(r)]
        broken = any(not _ready(p) for p in self.pods_of_rs(current))
        dep["status"] = deployment_status(dep, rss, pods, now(), progress_deadline_exceeded=False)
        if broken:
            dep["status"]["conditions"][1].update(
                reason="ReplicaSetUpdated", message=(f'ReplicaSet "{current["metadata"]["name"]}" is progressing.')
            )
        self._put(dep)

    def reconcile_hpa(self, hpa: dict[str, Any]) -> None:
        name = hpa["metadata"]["name"]
        load = (self.behaviours.get("hpa_load") or {}).get(name, {})
        lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
        wanted = load.get("desired", hpa["status"].get("desiredReplicas", lo))
        desired = max(lo, min(hi, wanted))
        limited = wanted > hi
        hpa["status"]["desiredReplicas"] = hpa["status"]["currentReplicas"] = desired
        for cond in hpa["status"].get("conditions", []):
            if cond["type"] == "ScalingLimited":
                cond.update(
                    status="True" if limited or wanted < lo else "False",
                    reason="TooManyReplicas"
                    if limited
                    else ("TooFewReplicas" if wanted < lo else "DesiredWithinRange"),
                    message="the desired replica count is more than the maximum replica count"
                    if limited
                    else "the desired count is within the acceptable range",
                    lastTransitionTime=ts(now()),
                )
        if load.get("cpu") is not None and hpa["status"].get("currentMetrics"):
            cpu = round(load["cpu"] * wanted / max(desired, 1))
            hpa["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"] = cpu
        self._put(hpa)
        ref = hpa["spec"]["scaleTargetRef"]
        if ref.get("kind") == "Deployment":
            dep = self.objects.get(("Deployment", hpa["metadata"]["namespace"], ref["name"]))
            if dep is not None and dep["spec"].get("replicas") != desired:
                dep["spec"]["replicas"] = desired
                self.reconcile_deployment(dep)

    def after_change(self, obj: dict[str, Any], *, template_changed: bool) -> None:
        kind = obj["kind"]
        if kind == "Deployment":
            self.reconcile_deployment(obj)
            hpa = self.hpa_for(obj)
            if hpa is not None:
                self.reconcile_hpa(hpa)
        elif kind == "HorizontalPodAutoscaler":
            self.reconcile_hpa(obj)
        elif kind in ("StatefulSet", "DaemonSet"):
            # Not simulated pod by pod: the controller is taken to have rolled out at once.
            obj.setdefault("status", {})["observedGeneration"] = obj["metadata"].get("generation", 1)
            if kind == "StatefulSet":
                replicas = obj["spec"].get("replicas", 1)
                obj["status"].update(replicas=replicas, readyReplicas=replicas, updatedReplicas=replicas)
            self._put(obj)

    def hpa_for(self, dep: dict[str, Any]) -> dict[str, Any] | None:
        for hpa in self.list("HorizontalPodAutoscaler", dep["metadata"]["namespace"]):
            ref = hpa["spec"]["scaleTargetRef"]
            if ref.get("kind") == dep["kind"] and ref.get("name") == dep["metadata"]["name"]:
                return hpa
        return None

    def replace_deleted_pod(self, deleted: dict[str, Any]) -> None:
        owner = next((o for o in deleted["metadata"].get("ownerReferences", []) if o["kind"] == "ReplicaSet"), None)
        if owner is None:
            return
        rs = self.objects.get(("ReplicaSet", deleted["metadata"]["namespace"], owner["name"]))
        if rs is not None:
            self._scale_rs(rs, rs["spec"].get("replicas", 0))
            dep_owner = next((o for o in rs["metadata"].get("ownerReferences", [])), None)
            if dep_owner:
                dep = self.objects.get(("Deployment", rs["metadata"]["namespace"], dep_owner["name"]))
                if dep is not None:
                    rss = self.replicasets_of(dep)
                    pods = [p for r in rss for p in self.pods_of_rs(r)]
                    dep["status"] = deployment_status(dep, rss, pods, now())
                    self._put(dep)


def _ready(p: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))
