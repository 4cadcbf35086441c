"""Writes the demo cluster's seed state: ``tessera-prod.yaml`` (objects) and ``logs.yaml``.

Run from the repository root: ``.venv/bin/python demo/cluster/generate.py``. The output is
deterministic (fixed clock, hashed names), so regenerating changes nothing unless this file does.
The story it plants is the one in ``demo/ORGANISATION.md`` ("Demo cluster state").
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from demo.standins.kubernetes_api.objects import (  # noqa: E402
    REVISION,
    deployment_status,
    event,
    pod,
    replica_set,
    ts,
    uid,
)

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
REGISTRY = "registry.tessera.example"

# component: (namespace, system, team, image tag, replicas, kind)
WORKLOADS: dict[str, tuple[str, str, str, str, int, str]] = {
    "checkout": ("commerce", "shopping", "team-checkout", "2.14.0", 3, "Deployment"),
    "cart": ("commerce", "shopping", "team-checkout", "3.4.1", 3, "Deployment"),
    "orders": ("commerce", "shopping", "team-checkout", "5.12.0", 3, "Deployment"),
    "promotions": ("commerce", "shopping", "team-checkout", "0.9.3", 1, "Deployment"),
    "payments": ("payments", "payments-platform", "team-payments", "4.8.1", 5, "Deployment"),
    "payments-gateway": ("payments", "payments-platform", "team-payments", "2.3.0", 3, "Deployment"),
    "fraud-detection": ("payments", "payments-platform", "team-payments", "1.19.2", 2, "Deployment"),
    "ledger": ("payments", "payments-platform", "team-payments", "1.6.0", 2, "StatefulSet"),
    "paypal-classic-adapter": ("payments", "payments-platform", "team-payments", "0.4.7", 1, "Deployment"),
    "inventory": ("commerce", "fulfilment", "team-fulfilment", "3.2.0", 3, "Deployment"),
    "shipping": ("commerce", "fulfilment", "team-fulfilment", "2.0.5", 2, "Deployment"),
    "returns": ("commerce", "fulfilment", "team-fulfilment", "1.3.2", 2, "Deployment"),
    "warehouse-sync": ("commerce", "fulfilment", "team-fulfilment", "0.8.0", 0, "CronJob"),
    "web-storefront": ("storefront", "storefront", "team-storefront", "6.2.0", 4, "Deployment"),
    "mobile-bff": ("storefront", "storefront", "team-storefront", "3.9.4", 3, "Deployment"),
    "seller-portal": ("storefront", "storefront", "team-storefront", "0.5.0", 1, "Deployment"),
    "product-catalog": ("discovery", "merchandising", "team-catalog", "7.1.3", 3, "Deployment"),
    "pricing": ("discovery", "merchandising", "team-catalog", "2.8.0", 2, "Deployment"),
    "reviews": ("discovery", "merchandising", "team-catalog", "1.11.0", 3, "Deployment"),
    "image-resizer": ("discovery", "merchandising", "team-catalog", "0.12.1", 6, "Deployment"),
    "search": ("discovery", "site-search", "team-search", "5.4.2", 8, "Deployment"),
    "search-indexer": ("discovery", "site-search", "team-search", "5.4.0", 2, "Deployment"),
    "autocomplete": ("discovery", "site-search", "team-search", "0.3.1", 1, "Deployment"),
    "recommendations": ("discovery", "site-search", "team-search", "2.2.0", 2, "Deployment"),
    "auth": ("identity", "identity-platform", "team-identity", "4.0.3", 3, "Deployment"),
    "user-profile": ("identity", "identity-platform", "team-identity", "2.6.1", 2, "Deployment"),
    "api-gateway": ("platform", "edge", "team-platform", "1.31.2", 4, "Deployment"),
    "feature-flags": ("platform", "platform-services", "team-platform", "1.4.0", 2, "Deployment"),
    "notifications": ("platform", "platform-services", "team-platform", "3.3.0", 2, "Deployment"),
    "otel-collector": ("platform", "platform-services", "team-platform", "0.112.0", 3, "DaemonSet"),
    "event-pipeline": ("data", "data-platform", "team-data", "1.18.0", 2, "Deployment"),
    "warehouse-loader": ("data", "data-platform", "team-data", "0.21.0", 1, "Deployment"),
    "recommendations-model": ("data", "ml-platform", "team-data", "1.7.0", 2, "Deployment"),
    "fraud-model": ("data", "ml-platform", "team-data", "3.0.1", 2, "Deployment"),
}

# Earlier revisions that are still kept as ReplicaSets (rollout history): component -> [(revision, tag, age)]
HISTORY: dict[str, list[tuple[int, str, timedelta]]] = {
    "checkout": [(12, "2.13.1", timedelta(days=16)), (13, "2.13.2", timedelta(days=6))],
    "inventory": [(7, "3.1.4", timedelta(days=12))],
    "payments": [(20, "4.8.0", timedelta(days=9))],
    "search": [(30, "5.4.1", timedelta(days=14))],
    "reviews": [(8, "1.10.4", timedelta(days=20))],
}
REVISIONS = {"checkout": 14, "inventory": 8, "payments": 21, "search": 31, "reviews": 9}
ROLLED_OUT = {
    "checkout": NOW.replace(hour=9, minute=12),
    "inventory": NOW - timedelta(hours=3),
    "payments": NOW - timedelta(days=2),
}

NODES = [f"ip-10-0-{zone}-{n}.eu-west-1.compute.internal" for zone in (1, 2, 3) for n in (11, 12, 13)]
MEMORY = {
    "search-indexer": ("512Mi", "1Gi"),
    "search": ("2Gi", "2Gi"),
    "image-resizer": ("4Gi", "4Gi"),
    "recommendations-model": ("8Gi", "12Gi"),
}
CPU = {"image-resizer": ("2", "2"), "search": ("1", "2")}


def labels(name: str) -> dict[str, str]:
    _ns, system, team, *_ = WORKLOADS[name]
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": system,
        "app.kubernetes.io/managed-by": "argocd",
        "backstage.io/kubernetes-id": name,
        "tessera.example/team": team,
    }


def container(name: str, tag: str) -> dict[str, Any]:
    port = 9090 if name == "payments" else 8080
    req_mem, lim_mem = MEMORY.get(name, ("256Mi", "512Mi"))
    req_cpu, lim_cpu = CPU.get(name, ("250m", "1"))
    env = [
        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.platform:4317"},
        {"name": "LOG_LEVEL", "value": "info"},
    ]
    env_from: list[dict[str, Any]] = []
    if name == "checkout":
        env.append({"name": "PAYMENTS_ADDR", "value": "payments.payments.svc.cluster.local:9090"})
    if name == "search-indexer":
        env.append({"name": "REINDEX_BATCH_SIZE", "value": "5000"})
    if name == "inventory" and tag == "3.2.0":
        env_from.append({"configMapRef": {"name": "inventory-config-v3"}})
    if name in ("payments-gateway",):
        env.append(
            {
                "name": "PSP_API_KEY",
                "valueFrom": {"secretKeyRef": {"name": "payments-gateway-psp", "key": "adyen-api-key"}},
            }
        )
    c: dict[str, Any] = {
        "name": name,
        "image": f"{REGISTRY}/{name}:{tag}",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "grpc" if port == 9090 else "http", "containerPort": port, "protocol": "TCP"}],
        "env": env,
        "resources": {"requests": {"cpu": req_cpu, "memory": req_mem}, "limits": {"cpu": lim_cpu, "memory": lim_mem}},
        "readinessProbe": {
            "httpGet": {"path": "/healthz/ready", "port": port, "scheme": "HTTP"},
            "periodSeconds": 10,
            "timeoutSeconds": 1,
            "failureThreshold": 3,
            "successThreshold": 1,
        },
        "livenessProbe": {
            "httpGet": {"path": "/healthz/live", "port": port, "scheme": "HTTP"},
            "periodSeconds": 10,
            "timeoutSeconds": 1,
            "failureThreshold": 3,
            "successThreshold": 1,
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if env_from:
        c["envFrom"] = env_from
    if name == "recommendations-model":
        c["resources"]["requests"]["nvidia.com/gpu"] = "1"
        c["resources"]["limits"]["nvidia.com/gpu"] = "1"
    return c


def template(name: str, tag: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [container(name, tag)], "serviceAccountName": name}
    if name == "recommendations-model":
        spec["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
        ]
        spec["nodeSelector"] = {"tessera.example/node-group": "gpu-a10g"}
    return {"metadata": {"labels": labels(name)}, "spec": spec}


def workload(name: str, kind: str, tag: str, replicas: int, created: datetime) -> dict[str, Any]:
    ns = WORKLOADS[name][0]
    api = "batch/v1" if kind == "CronJob" else "apps/v1"
    obj: dict[str, Any] = {
        "apiVersion": api,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": uid(kind, ns, name),
            "labels": labels(name),
            "annotations": {},
            "creationTimestamp": ts(created),
            "generation": REVISIONS.get(name, 3),
        },
    }
    if kind == "CronJob":
        obj["spec"] = {
            "schedule": "0 3 * * *",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {
                "spec": {
                    "template": {
                        **template(name, tag),
                        "spec": {**template(name, tag)["spec"], "restartPolicy": "OnFailure"},
                    }
                }
            },
        }
        obj["status"] = {
            "lastScheduleTime": ts(NOW.replace(hour=3, minute=0)),
            "lastSuccessfulTime": ts(NOW.replace(hour=3, minute=4, second=12)),
        }
        return obj
    obj["spec"] = {"selector": {"matchLabels": {"app.kubernetes.io/name": name}}, "template": template(name, tag)}
    if kind == "Deployment":
        obj["metadata"]["annotations"][REVISION] = str(REVISIONS.get(name, 3))
        obj["spec"].update(
            replicas=replicas,
            revisionHistoryLimit=10,
            progressDeadlineSeconds=600,
            strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        )
    elif kind == "StatefulSet":
        obj["spec"].update(replicas=replicas, serviceName=name, podManagementPolicy="OrderedReady")
    return obj


MODES: dict[str, tuple[str, int]] = {  # component -> (pod mode, restarts)
    "checkout": ("crashloop", 8),
    "search-indexer": ("oomkilled", 4),
    "promotions": ("imagepull", 0),
    "recommendations-model": ("pending", 0),
    "reviews": ("notready", 0),
    "notifications": ("livenessrestarts", 57),
}


def build() -> tuple[list[dict[str, Any]], dict[str, str]]:
    behaviours = yaml.safe_load((HERE / "behaviours.yaml").read_text())["images"]
    objects: list[dict[str, Any]] = []
    logs: dict[str, str] = {}
    for ns in sorted({w[0] for w in WORKLOADS.values()}):
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns,
                    "uid": uid("ns", ns),
                    "labels": {"kubernetes.io/metadata.name": ns},
                    "creationTimestamp": ts(NOW - timedelta(days=400)),
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
        )
    for i, node in enumerate(NODES):
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": node,
                    "uid": uid("node", node),
                    "creationTimestamp": ts(NOW - timedelta(days=30 - i)),
                    "labels": {
                        "kubernetes.io/hostname": node,
                        "tessera.example/node-group": "general",
                        "topology.kubernetes.io/zone": f"eu-west-1{'abc'[i // 3]}",
                        "node.kubernetes.io/instance-type": "m6i.2xlarge",
                    },
                },
                "spec": {"providerID": f"aws:///eu-west-1{'abc'[i // 3]}/i-0{uid('i', node)[:16]}"},
                "status": {
                    "capacity": {"cpu": "8", "memory": "32386600Ki", "pods": "58"},
                    "allocatable": {"cpu": "7910m", "memory": "31369768Ki", "pods": "58"},
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                        }
                    ],
                    "nodeInfo": {"kubeletVersion": "v1.31.2-eks-7f9249a"},
                },
            }
        )
    for n, (name, (ns, _system, _team, tag, replicas, kind)) in enumerate(WORKLOADS.items()):
        created = NOW - timedelta(days=200 - n)
        obj = workload(name, kind, tag, replicas, created)
        objects.append(obj)
        if kind == "CronJob":
            continue
        node = NODES[n % len(NODES)]
        mode, restarts = MODES.get(name, ("healthy", n % 2))
        if kind in ("StatefulSet", "DaemonSet"):
            pods = []
            for i in range(replicas):
                owner = {
                    "metadata": {"name": name, "namespace": ns, "uid": obj["metadata"]["uid"]},
                    "spec": {"template": obj["spec"]["template"]},
                }
                p = pod(
                    owner,
                    i,
                    created=created + timedelta(days=150),
                    node=NODES[(n + i) % 9],
                    suffix=str(i) if kind == "StatefulSet" else None,
                )
                if kind == "StatefulSet":
                    p["metadata"]["name"] = f"{name}-{i}"
                p["metadata"]["ownerReferences"][0]["kind"] = kind
                pods.append(p)
            objects.extend(pods)
            obj["status"] = (
                {
                    "replicas": replicas,
                    "readyReplicas": replicas,
                    "currentReplicas": replicas,
                    "updatedReplicas": replicas,
                    "availableReplicas": replicas,
                }
                if kind == "StatefulSet"
                else {
                    "desiredNumberScheduled": replicas,
                    "currentNumberScheduled": replicas,
                    "numberReady": replicas,
                    "numberAvailable": replicas,
                    "updatedNumberScheduled": replicas,
                    "numberMisscheduled": 0,
                }
            )
            continue
        rss: list[dict[str, Any]] = []
        for rev, old_tag, age in HISTORY.get(name, []):
            old = workload(name, kind, old_tag, replicas, created)
            rs = replica_set(old, rev, NOW - age, 0)
            rs["status"] = {"replicas": 0, "observedGeneration": 1}
            rss.append(rs)
        rolled = ROLLED_OUT.get(name, NOW - timedelta(days=20 + n % 7))
        current = replica_set(obj, REVISIONS.get(name, 3), rolled, replicas)
        pods = []
        if name == "inventory":  # stuck rollout: old RS keeps 3 pods, new RS one broken pod
            old_rs = rss[-1]
            old_rs["spec"]["replicas"] = 3
            old_rs["status"] = {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "observedGeneration": 1}
            pods += [pod(old_rs, i, created=NOW - timedelta(days=12), node=NODES[(n + i) % 9]) for i in range(3)]
            current["spec"]["replicas"] = 1
            pods.append(
                pod(
                    current,
                    0,
                    mode="configerror",
                    behaviour=behaviours[f"{REGISTRY}/inventory:3.2.0"],
                    created=rolled,
                    node=NODES[4],
                )
            )
        else:
            behaviour = behaviours.get(f"{REGISTRY}/{name}:{tag}", {})
            for i in range(replicas):
                r = restarts if name != "notifications" else (57, 49)[i]
                if name == "checkout":
                    r = (7, 8, 9)[i]
                pods.append(
                    pod(
                        current,
                        i,
                        mode=mode,
                        behaviour=behaviour,
                        restarts=r,
                        created=rolled + timedelta(seconds=30 * i),
                        node=NODES[(n + i) % 9],
                    )
                )
        ready = sum(
            1
            for p in pods
            if p["status"].get("containerStatuses") and all(c["ready"] for c in p["status"]["containerStatuses"])
        )
        for rs in (*rss, current):
            mine = [p for p in pods if p["metadata"]["ownerReferences"][0]["name"] == rs["metadata"]["name"]]
            rs_ready = sum(
                1
                for p in mine
                if all(c["ready"] for c in p["status"].get("containerStatuses", [{}]) if "ready" in c)
                and p["status"].get("containerStatuses")
            )
            rs["status"] = {
                "replicas": len(mine),
                "fullyLabeledReplicas": len(mine),
                "readyReplicas": rs_ready,
                "availableReplicas": rs_ready,
                "observedGeneration": 1,
            }
        rss.append(current)
        objects.extend(rss)
        objects.extend(pods)
        obj["status"] = deployment_status(obj, rss, pods, NOW, progress_deadline_exceeded=name == "inventory")
        if name == "inventory":
            obj["status"]["updatedReplicas"] = 1
        del ready
        objects.extend(events_for(name, obj, current, pods, logs))
        # Service
        port = 9090 if name == "payments" else 8080
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    "uid": uid("svc", ns, name),
                    "labels": labels(name),
                    "creationTimestamp": ts(created),
                },
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": f"172.20.{n}.{10 + n}",
                    "selector": {"app.kubernetes.io/name": name},
                    "ports": [
                        {
                            "name": "grpc" if port == 9090 else "http",
                            "port": 80 if port == 8080 else 9090,
                            "targetPort": port,
                            "protocol": "TCP",
                        }
                    ],
                },
                "status": {"loadBalancer": {}},
            }
        )
    objects.extend(hpas())
    objects.extend(ingresses())
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": "payments-gateway-psp",
                "namespace": "payments",
                "uid": uid("secret", "payments-gateway-psp"),
                "labels": labels("payments-gateway"),
                "creationTimestamp": ts(NOW - timedelta(days=90)),
            },
            "data": {
                "adyen-api-key": "QVFFeWhtZnhLNGZkLWRlbW8tbm90LWEtcmVhbC1rZXk=",
                "stripe-api-key": "c2tfbGl2ZV9kZW1vX25vdF9hX3JlYWxfa2V5XzAwMDAw",
            },
        }
    )
    return objects, logs


def events_for(
    name: str, obj: dict[str, Any], rs: dict[str, Any], pods: list[dict[str, Any]], logs: dict[str, str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ns = obj["metadata"]["namespace"]
    key = f"{ns}/{{pod}}/{name}"
    if name == "checkout":
        out.append(
            event(
                obj,
                "ScalingReplicaSet",
                f"Scaled up replica set {rs['metadata']['name']} from 0 to 3",
                type_="Normal",
                first=NOW.replace(hour=9, minute=12),
                component="deployment-controller",
            )
        )
        for p in pods:
            count = p["status"]["containerStatuses"][0]["restartCount"]
            out.append(
                event(
                    p,
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod "
                    f"{p['metadata']['name']}_{ns}({p['metadata']['uid']})",
                    count=count * 12,
                    first=NOW.replace(hour=9, minute=13),
                    last=NOW - timedelta(minutes=1),
                    field_path=f"spec.containers{{{name}}}",
                )
            )
            logs[key.format(pod=p["metadata"]["name"]) + "/previous"] = ""  # from behaviours
    elif name == "search-indexer":
        sunday = NOW - timedelta(days=2, hours=8, minutes=30)  # Sunday 02:00 UTC
        for p in pods:
            out.append(
                event(
                    p,
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod "
                    f"{p['metadata']['name']}_{ns}({p['metadata']['uid']})",
                    count=4,
                    first=sunday,
                    last=sunday + timedelta(hours=1, minutes=10),
                    field_path=f"spec.containers{{{name}}}",
                )
            )
            logs[key.format(pod=p["metadata"]["name"]) + "/previous"] = (
                "2026-11-22T02:00:00.412Z INFO  full reindex started index=products-v31 batch_size=5000\n"
                "2026-11-22T02:14:51.003Z INFO  indexed 1,215,000 / 4,830,112 documents\n"
                "2026-11-22T02:16:40.778Z WARN  GC overhead high: 38% of time in GC over the last minute\n"
                "2026-11-22T02:17:02.120Z WARN  heap usage 1003Mi of 1024Mi container limit\n"
            )
            logs[key.format(pod=p["metadata"]["name"])] = (
                "2026-11-22T03:10:12.100Z INFO  search-indexer starting version=5.4.0\n"
                "2026-11-22T03:10:14.502Z INFO  consuming catalog.product-changed.v1 (lag 0)\n"
            )
    elif name == "promotions":
        for p in pods:
            image = p["spec"]["containers"][0]["image"]
            out.append(
                event(
                    p,
                    "Failed",
                    f'Failed to pull image "{image}": rpc error: code = NotFound desc = '
                    f'failed to pull and unpack image "{image}": manifest unknown',
                    count=14,
                    first=NOW - timedelta(hours=5),
                    last=NOW - timedelta(minutes=3),
                    field_path=f"spec.containers{{{name}}}",
                )
            )
            out.append(
                event(
                    p,
                    "Failed",
                    "Error: ErrImagePull",
                    count=14,
                    first=NOW - timedelta(hours=5),
                    last=NOW - timedelta(minutes=3),
                    field_path=f"spec.containers{{{name}}}",
                )
            )
            out.append(
                event(
                    p,
                    "BackOff",
                    f'Back-off pulling image "{image}"',
                    type_="Normal",
                    count=310,
                    first=NOW - timedelta(hours=5),
                    last=NOW - timedelta(seconds=40),
                    field_path=f"spec.containers{{{name}}}",
                )
            )
    elif name == "recommendations-model":
        for p in pods:
            out.append(
                event(
                    p,
                    "FailedScheduling",
                    p["status"]["conditions"][0]["message"],
                    count=1,
                    first=NOW - timedelta(days=4),
                    last=NOW - timedelta(minutes=2),
                    component="default-scheduler",
                )
            )
        out.append(
            {
                **event(
                    obj,
                    "ScaleDown",
                    "node group gpu-a10g scaled to 0 (desired capacity 0)",
                    type_="Normal",
                    first=datetime(2026, 11, 20, 18, 4, tzinfo=UTC),
                    component="cluster-autoscaler",
                )
            }
        )
    elif name == "reviews":
        for p in pods:
            out.append(
                event(
                    p,
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 503",
                    count=412,
                    first=NOW - timedelta(hours=2),
                    last=NOW - timedelta(seconds=8),
                    field_path=f"spec.containers{{{name}}}",
                )
            )
            logs[key.format(pod=p["metadata"]["name"])] = (
                "2026-11-24T08:29:58.010Z INFO  GET /v1/reviews?listing=88121 200 41ms\n"
                "2026-11-24T08:30:01.200Z WARN  catalog-db pool: 19/20 connections in use, 14 waiters\n"
                "2026-11-24T08:30:04.845Z ERROR readiness: catalog-db pool exhausted (20/20 connections in use)\n"
                "2026-11-24T08:30:04.846Z INFO  GET /healthz/ready 503 1002ms\n"
            )
    elif name == "notifications":
        for p in pods:
            count = p["status"]["containerStatuses"][0]["restartCount"]
            out.append(
                event(
                    p,
                    "Unhealthy",
                    'Liveness probe failed: Get "http://10.42.3.17:8080/healthz/live": '
                    "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                    count=count * 3,
                    first=NOW - timedelta(days=6),
                    last=NOW - timedelta(minutes=50),
                    field_path=f"spec.containers{{{name}}}",
                )
            )
            out.append(
                event(
                    p,
                    "Killing",
                    f"Container {name} failed liveness probe, will be restarted",
                    type_="Normal",
                    count=count,
                    first=NOW - timedelta(days=6),
                    last=NOW - timedelta(minutes=50),
                    field_path=f"spec.containers{{{name}}}",
                )
            )
            logs[key.format(pod=p["metadata"]["name"]) + "/previous"] = (
                "2026-11-24T09:38:11.000Z INFO  sqs receive_message long-poll wait=20s queue=notifications\n"
                "2026-11-24T09:38:31.004Z WARN  event loop blocked for 20004ms (sqs long-poll)\n"
                "2026-11-24T09:38:31.005Z INFO  GET /healthz/live 200 19870ms\n"
            )
    elif name == "inventory":
        bad = pods[-1]
        out.append(
            event(
                bad,
                "Failed",
                'Error: configmap "inventory-config-v3" not found',
                count=37,
                first=NOW - timedelta(hours=3),
                last=NOW - timedelta(minutes=1),
                field_path=f"spec.containers{{{name}}}",
            )
        )
        out.append(
            event(
                obj,
                "ScalingReplicaSet",
                f"Scaled up replica set {rs['metadata']['name']} from 0 to 1",
                type_="Normal",
                first=NOW - timedelta(hours=3),
                component="deployment-controller",
            )
        )
    elif name == "search":
        out.append(
            event(
                {
                    "kind": "HorizontalPodAutoscaler",
                    "apiVersion": "autoscaling/v2",
                    "metadata": {"name": name, "namespace": ns, "uid": uid("hpa", ns, name)},
                },
                "SuccessfulRescale",
                "New size: 8; reason: cpu resource utilization (percentage of request) above target",
                type_="Normal",
                first=NOW - timedelta(hours=6),
                component="horizontal-pod-autoscaler",
            )
        )
    return out


def hpas() -> list[dict[str, Any]]:
    def hpa(name, ns, lo, hi, current, cpu, limited):
        conditions = [
            {
                "type": "AbleToScale",
                "status": "True",
                "reason": "ReadyForNewScale",
                "message": "recommended size matches current size",
                "lastTransitionTime": ts(NOW - timedelta(hours=6)),
            },
            {
                "type": "ScalingActive",
                "status": "True",
                "reason": "ValidMetricFound",
                "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization "
                "(percentage of request)",
                "lastTransitionTime": ts(NOW - timedelta(days=40)),
            },
            {
                "type": "ScalingLimited",
                "status": "True" if limited else "False",
                "reason": "TooManyReplicas" if limited else "DesiredWithinRange",
                "message": "the desired replica count is more than the maximum replica count"
                if limited
                else "the desired count is within the acceptable range",
                "lastTransitionTime": ts(NOW - timedelta(hours=6)),
            },
        ]
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {
                "name": name,
                "namespace": ns,
                "uid": uid("hpa", ns, name),
                "labels": labels(name),
                "creationTimestamp": ts(NOW - timedelta(days=120)),
            },
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": lo,
                "maxReplicas": hi,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                    }
                ],
            },
            "status": {
                "currentReplicas": current,
                "desiredReplicas": current,
                "lastScaleTime": ts(NOW - timedelta(hours=6)),
                "currentMetrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "current": {"averageUtilization": cpu, "averageValue": "940m" if cpu > 90 else "480m"},
                        },
                    }
                ],
                "conditions": conditions,
            },
        }

    return [
        hpa("search", "discovery", 3, 8, 8, 94, True),
        hpa("api-gateway", "platform", 3, 12, 4, 55, False),
        hpa("payments", "payments", 3, 10, 5, 48, False),
    ]


def ingresses() -> list[dict[str, Any]]:
    out = []
    for name, ns, host in (
        ("api-gateway", "platform", "api.tessera.example"),
        ("web-storefront", "storefront", "www.tessera.example"),
        ("seller-portal", "storefront", "sellers.tessera.example"),
    ):
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    "uid": uid("ing", ns, name),
                    "labels": labels(name),
                    "creationTimestamp": ts(NOW - timedelta(days=150)),
                },
                "spec": {
                    "ingressClassName": "alb",
                    "tls": [{"hosts": [host]}],
                    "rules": [
                        {
                            "host": host,
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {"service": {"name": name, "port": {"number": 80}}},
                                    }
                                ]
                            },
                        }
                    ],
                },
                "status": {"loadBalancer": {"ingress": [{"hostname": f"k8s-{ns}-{name}.elb.amazonaws.com"}]}},
            }
        )
    return out


def main() -> None:
    objects, logs = build()
    header = "# Generated by demo/cluster/generate.py from the story in demo/ORGANISATION.md; edit that script.\n"
    (HERE / "tessera-prod.yaml").write_text(header + yaml.safe_dump_all(objects, sort_keys=False, width=120))
    (HERE / "logs.yaml").write_text(header + yaml.safe_dump({k: v for k, v in logs.items() if v}, width=120))
    print(f"wrote {len(objects)} objects and {sum(1 for v in logs.values() if v)} logs")


if __name__ == "__main__":
    main()
