"""Builders for real-shaped Kubernetes objects (camelCase dicts, as the API serves them).

Used twice: by ``demo/cluster/generate.py`` to write the demo cluster's seed state, and by the
stand-in API server when a mutation makes its simulated controllers create ReplicaSets and pods
(a restart, a rollback, a scale, a deleted pod being replaced).
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

REVISION = "deployment.kubernetes.io/revision"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

# How pods created from a pod template behave, by image. Everything else starts healthy.
# ``configerror`` needs the missing ConfigMap's name, ``crashloop`` an exit code and a log.
Behaviour = dict[str, Any]


def ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def short_hash(*parts: Any, length: int = 10) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    n = int(digest, 16)
    out = []
    for _ in range(length):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def uid(*parts: Any) -> str:
    h = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def template_hash(template: dict[str, Any]) -> str:
    """Stands in for the controller's pod-template-hash: stable for equal templates."""
    clean = copy.deepcopy(template)
    clean.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return short_hash("template", clean)


def owner_ref(kind: str, api_version: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def replica_set(deployment: dict[str, Any], revision: int, created: datetime, replicas: int) -> dict[str, Any]:
    template = copy.deepcopy(deployment["spec"]["template"])
    hash_ = template_hash(template)
    template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = hash_
    name = f"{deployment['metadata']['name']}-{hash_}"
    ns = deployment["metadata"]["namespace"]
    selector = copy.deepcopy(deployment["spec"]["selector"])
    selector.setdefault("matchLabels", {})["pod-template-hash"] = hash_
    annotations = {
        REVISION: str(revision),
        "deployment.kubernetes.io/desired-replicas": str(deployment["spec"].get("replicas", 1)),
        "deployment.kubernetes.io/max-replicas": str(deployment["spec"].get("replicas", 1) + 1),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": uid("rs", ns, name, revision),
            "labels": dict(template["metadata"]["labels"]),
            "annotations": annotations,
            "creationTimestamp": ts(created),
            "generation": 1,
            "ownerReferences": [owner_ref("Deployment", "apps/v1", deployment)],
        },
        "spec": {"replicas": replicas, "selector": selector, "template": template},
        "status": {
            "replicas": replicas,
            "fullyLabeledReplicas": replicas,
            "readyReplicas": 0,
            "availableReplicas": 0,
            "observedGeneration": 1,
        },
    }


def _container_status(
    container: dict[str, Any], mode: str, behaviour: Behaviour, restarts: int, started: datetime, index: int
) -> dict[str, Any]:
    name = container["name"]
    image = container["image"]
    status: dict[str, Any] = {
        "name": name,
        "image": image,
        "restartCount": restarts,
        "started": True,
        "imageID": f"{image.split(':')[0]}@sha256:{short_hash(image, length=64)}",
        "containerID": f"containerd://{short_hash('c', name, started, index, length=64)}",
    }
    last_exit = started - timedelta(minutes=3 + index)
    running = {"running": {"startedAt": ts(started)}}
    if mode == "healthy":
        status.update(ready=True, state=running, lastState={})
        if restarts:
            status["lastState"] = {
                "terminated": {
                    "exitCode": 143,
                    "reason": "Error",
                    "startedAt": ts(started - timedelta(days=2)),
                    "finishedAt": ts(started - timedelta(seconds=5)),
                }
            }
    elif mode == "crashloop":
        code = behaviour.get("exitCode", 1)
        status.update(
            ready=False,
            started=False,
            state={
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off 5m0s restarting failed container={name} pod={behaviour.get('_pod', '')}",
                }
            },
            lastState={
                "terminated": {
                    "exitCode": code,
                    "reason": "Error",
                    "startedAt": ts(last_exit - timedelta(seconds=4)),
                    "finishedAt": ts(last_exit),
                }
            },
        )
    elif mode == "oomkilled":
        status.update(
            ready=True,
            state=running,
            lastState={
                "terminated": {
                    "exitCode": 137,
                    "reason": "OOMKilled",
                    "startedAt": ts(started - timedelta(hours=2)),
                    "finishedAt": ts(started - timedelta(seconds=2)),
                }
            },
        )
    elif mode == "imagepull":
        status.update(
            ready=False,
            started=False,
            imageID="",
            state={"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}},
            lastState={},
        )
        status.pop("containerID")
    elif mode == "configerror":
        status.update(
            ready=False,
            started=False,
            imageID="",
            state={
                "waiting": {
                    "reason": "CreateContainerConfigError",
                    "message": f'configmap "{behaviour["configMap"]}" not found',
                }
            },
            lastState={},
        )
        status.pop("containerID")
    elif mode == "notready":
        status.update(ready=False, state=running, lastState={})
    elif mode == "livenessrestarts":
        status.update(
            ready=True,
            state=running,
            lastState={
                "terminated": {
                    "exitCode": 137,
                    "reason": "Error",
                    "startedAt": ts(started - timedelta(hours=3)),
                    "finishedAt": ts(started - timedelta(seconds=1)),
                }
            },
        )
    else:
        raise ValueError(f"unknown pod mode {mode!r}")
    return status


def pod(
    rs: dict[str, Any],
    index: int,
    *,
    mode: str = "healthy",
    behaviour: Behaviour | None = None,
    created: datetime,
    restarts: int = 0,
    node: str | None = "ip-10-0-1-11.eu-west-1.compute.internal",
    suffix: str | None = None,
) -> dict[str, Any]:
    """A pod owned by ``rs``, in the state ``mode`` describes."""
    behaviour = dict(behaviour or {})
    template = rs["spec"]["template"]
    ns = rs["metadata"]["namespace"]
    name = f"{rs['metadata']['name']}-{suffix or short_hash('pod', rs['metadata']['name'], index, length=5)}"
    behaviour["_pod"] = f"{name}_{ns}({uid('pod', ns, name)})"
    spec = copy.deepcopy(template["spec"])
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    started = created + timedelta(seconds=20)
    meta = {
        "name": name,
        "generateName": f"{rs['metadata']['name']}-",
        "namespace": ns,
        "uid": uid("pod", ns, name),
        "labels": dict(template["metadata"].get("labels", {})),
        "creationTimestamp": ts(created),
        "ownerReferences": [owner_ref("ReplicaSet", "apps/v1", rs)],
    }
    if template["metadata"].get("annotations"):
        meta["annotations"] = dict(template["metadata"]["annotations"])
    statuses = (
        []
        if mode == "pending"
        else [_container_status(c, mode, behaviour, restarts, started, index) for c in spec["containers"]]
    )
    ready = all(s["ready"] for s in statuses)
    conditions = [
        {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": ts(started)},
        {"type": "Initialized", "status": "True", "lastTransitionTime": ts(created)},
        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": ts(started)},
        {"type": "ContainersReady", "status": "True" if ready else "False", "lastTransitionTime": ts(started)},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": ts(created)},
    ]
    if not ready:
        unready = ", ".join(s["name"] for s in statuses if not s["ready"])
        for cond in conditions[2:4]:
            cond["reason"] = "ContainersNotReady"
            cond["message"] = f"containers with unready status: [{unready}]"
    phase = "Running"
    if mode in ("imagepull", "configerror"):
        phase = "Pending"
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": conditions,
        "hostIP": "10.0.1.11",
        "podIP": f"10.42.{index % 200}.{int(uid('ip', name)[:4], 16) % 250 + 2}",
        "startTime": ts(created),
        "qosClass": _qos(spec),
        "containerStatuses": statuses,
    }
    if mode == "pending":
        spec.pop("nodeName", None)
        status = {
            "phase": "Pending",
            "qosClass": _qos(spec),
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": behaviour.get("message", "0/9 nodes are available."),
                    "lastProbeTime": None,
                    "lastTransitionTime": ts(created),
                }
            ],
        }
    elif node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _qos(spec: dict[str, Any]) -> str:
    containers = spec.get("containers", [])
    if all(
        (c.get("resources") or {}).get("limits")
        and (c.get("resources") or {}).get("limits") == (c.get("resources") or {}).get("requests")
        for c in containers
    ):
        return "Guaranteed"
    if any((c.get("resources") or {}).get("requests") or (c.get("resources") or {}).get("limits") for c in containers):
        return "Burstable"
    return "BestEffort"


def event(
    obj: dict[str, Any],
    reason: str,
    message: str,
    *,
    type_: str = "Warning",
    count: int = 1,
    first: datetime,
    last: datetime | None = None,
    component: str = "kubelet",
    field_path: str | None = None,
) -> dict[str, Any]:
    meta = obj["metadata"]
    ns = meta.get("namespace", "default")
    involved = {
        "kind": obj["kind"],
        "namespace": ns,
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": obj.get("apiVersion", "v1"),
    }
    if field_path:
        involved["fieldPath"] = field_path
    name = f"{meta['name']}.{short_hash('ev', meta['name'], reason, message, length=16)}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns, "uid": uid("ev", ns, name), "creationTimestamp": ts(first)},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": ts(first),
        "lastTimestamp": ts(last or first),
        "source": {"component": component},
        "reportingComponent": component,
        "reportingInstance": "",
    }


def deployment_status(
    deployment: dict[str, Any],
    rss: list[dict[str, Any]],
    pods: list[dict[str, Any]],
    now: datetime,
    *,
    progress_deadline_exceeded: bool = False,
) -> dict[str, Any]:
    """The status a deployment controller would write, from its ReplicaSets and their pods."""
    current_hash = template_hash(deployment["spec"]["template"])
    new_rs = next((r for r in rss if r["metadata"]["labels"].get("pod-template-hash") == current_hash), None)
    desired = deployment["spec"].get("replicas", 1)

    def ready(p):
        return any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))

    total = len(pods)
    ready_n = sum(1 for p in pods if ready(p))
    updated = [p for p in pods if p["metadata"]["labels"].get("pod-template-hash") == current_hash]
    available = ready_n
    conditions = [
        {
            "type": "Available",
            "status": "True" if available >= max(1, desired - 1) or desired == 0 else "False",
            "reason": "MinimumReplicasAvailable"
            if available >= max(1, desired - 1) or desired == 0
            else "MinimumReplicasUnavailable",
            "message": "Deployment has minimum availability."
            if available >= max(1, desired - 1) or desired == 0
            else "Deployment does not have minimum availability.",
            "lastUpdateTime": ts(now),
            "lastTransitionTime": ts(now),
        }
    ]
    rs_name = new_rs["metadata"]["name"] if new_rs else deployment["metadata"]["name"]
    if progress_deadline_exceeded:
        conditions.append(
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": f'ReplicaSet "{rs_name}" has timed out progressing.',
                "lastUpdateTime": ts(now),
                "lastTransitionTime": ts(now),
            }
        )
    else:
        conditions.append(
            {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{rs_name}" has successfully progressed.',
                "lastUpdateTime": ts(now),
                "lastTransitionTime": ts(now),
            }
        )
    status = {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        "replicas": total,
        "updatedReplicas": len(updated),
        "readyReplicas": ready_n,
        "availableReplicas": available,
        "conditions": conditions,
    }
    if total - available > 0:
        status["unavailableReplicas"] = total - available
    return status
