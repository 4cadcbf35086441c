"""Shared pieces for the Kubernetes tests: the stand-in API over HTTP, runtimes pointed at it
through a real kubeconfig file, real-shaped object builders and the real fixtures' location."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.runtime import Runtime
from contract.settings import Settings
from demo.standins.kubernetes_api.cluster import CLUSTER_DIR
from demo.standins.kubernetes_api.objects import event, pod, replica_set, uid
from demo.standins.kubernetes_api.server import Server
from demo.standins.kubernetes_api.state import ClusterState
from tests.support.paths import SHARED_FIXTURES

FIXTURES = SHARED_FIXTURES / "kubernetes"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@lru_cache(maxsize=1)
def _demo_objects() -> tuple[list[dict[str, Any]], dict[str, str], dict[str, Any]]:
    state = ClusterState.from_dir(CLUSTER_DIR)
    return list(state.objects.values()), state.logs, state.behaviours


def demo_state() -> ClusterState:
    objects, logs, behaviours = _demo_objects()
    return ClusterState(copy.deepcopy(objects), dict(logs), copy.deepcopy(behaviours))


def start_server(state: ClusterState | None = None, **kw: Any) -> Server:
    return Server(state or demo_state(), **kw).start()


def write_kubeconfig(path: Path, server: Server, context: str = "tessera-prod", token: str | None = None) -> Path:
    """A kubeconfig for ``server``: its admin token unless another ``token`` is given."""
    path.write_text(yaml.safe_dump(server.kubeconfig(context, token=token)))
    return path


def runtime_for(tmp_path: Path, server: Server, *, token: str | None = None, **settings: Any) -> Runtime:
    """A demo-catalog runtime whose only cluster is ``server``, reached through a kubeconfig file."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = write_kubeconfig(tmp_path / "kubeconfig.yaml", server, token=token)
    base = {"data_dir": tmp_path / "data", "demo": True, "kubeconfig": [str(config)], "admin_groups": ["team-platform"]}
    return Runtime(Settings(**{**base, **settings}))


def fixture(path: str) -> Any:
    full = FIXTURES / path
    if not full.exists():
        pytest.skip(f"real Kubernetes fixtures not present at {FIXTURES} (see its SOURCES.md)")
    text = full.read_text()
    return json.loads(text) if full.suffix == ".json" else yaml.safe_load(text)


def items(obj: Any) -> list[dict[str, Any]]:
    return obj.get("items", [obj]) if isinstance(obj, dict) else list(obj)


# --- real-shaped builders ------------------------------------------------------------------------
def deployment(
    name: str = "web", ns: str = "shop", image: str = "registry.example/web:1.0", replicas: int = 2, **container: Any
) -> dict[str, Any]:
    c = {
        "name": name,
        "image": image,
        "resources": {"requests": {"memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "timeoutSeconds": 1, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}, "timeoutSeconds": 1, "periodSeconds": 10},
        **container,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": uid("dep", ns, name),
            "labels": {"app": name},
            "annotations": {"deployment.kubernetes.io/revision": "2"},
            "generation": 2,
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [c]}},
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
            "observedGeneration": 2,
        },
    }


def pods_of(
    dep: dict[str, Any], mode: str = "healthy", n: int | None = None, restarts: int = 0, **behaviour: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rs = replica_set(dep, 2, T0 - timedelta(hours=1), dep["spec"]["replicas"])
    count = dep["spec"]["replicas"] if n is None else n
    return rs, [pod(rs, i, mode=mode, behaviour=behaviour, restarts=restarts, created=T0) for i in range(count)]


def ev(obj: dict[str, Any], reason: str, message: str, **kw: Any) -> dict[str, Any]:
    return event(obj, reason, message, first=T0, **kw)
