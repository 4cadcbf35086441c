"""Which clusters the portal can see, and one ``kubernetes`` ApiClient per cluster, created lazily.

Sources, in order: the kubeconfig files in ``settings.kubeconfig`` (every context of every file is
a cluster, by context name: several clusters at once); else the in-cluster service account; else,
with the demo organisation, the local stand-in API started on first use and reached through a
generated kubeconfig, so the demo runs through exactly the same client code path.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tools.kubernetes.errors import KubeError

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from contract.settings import Settings

log = logging.getLogger(__name__)

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
IN_CLUSTER = "in-cluster"
DEMO_CLUSTER = "tessera-prod"
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 15.0
DEMO_DIR = Path(__file__).resolve().parents[2] / "demo" / "cluster"


def in_cluster_available() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and (SERVICE_ACCOUNT / "token").exists()


def cluster_sources_configured(settings: Settings) -> bool:
    return bool(settings.kubeconfig) or in_cluster_available() or settings.uses_demo


@dataclass
class ClusterInfo:
    name: str
    source: str  # "kubeconfig" | "in-cluster" | "demo"
    file: str | None = None
    context: str | None = None
    server: str | None = None


class Clusters:
    """The clusters of one runtime. Obtain it with :func:`clusters_for`."""

    def __init__(self, runtime: FamilyRuntime):
        self.runtime = runtime
        self._clients: dict[str, Any] = {}
        self._lock = threading.RLock()
        self.problems: list[str] = []  # kubeconfig files that could not be read (the rest still load)
        self.infos: dict[str, ClusterInfo] = self._discover()

    def _discover(self) -> dict[str, ClusterInfo]:
        settings = self.runtime.settings
        found: dict[str, ClusterInfo] = {}
        if settings.kubeconfig:
            for raw in settings.kubeconfig:
                path = Path(raw).expanduser()
                try:
                    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                    contexts = data.get("contexts") or []
                    clusters = {c.get("name"): (c.get("cluster") or {}) for c in data.get("clusters") or []}
                    if not contexts:
                        raise ValueError("no contexts")
                except (OSError, ValueError, yaml.YAMLError, AttributeError) as exc:
                    self.problems.append(f"kubeconfig {path}: cannot be used: {exc}")
                    log.warning("kubeconfig %s: %s", path, exc)
                    continue
                for ctx in contexts:
                    name = ctx.get("name")
                    if not name:
                        self.problems.append(f"kubeconfig {path}: a context without a name was skipped")
                        continue
                    if name in found:
                        self.problems.append(
                            f"kubeconfig {path}: context {name!r} already defined in "
                            f"{found[name].file}; the first one is used"
                        )
                        continue
                    cluster_name = (ctx.get("context") or {}).get("cluster")
                    server = clusters.get(cluster_name, {}).get("server")
                    found[name] = ClusterInfo(name, "kubeconfig", str(path), name, server)
        elif in_cluster_available():
            host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
            found[IN_CLUSTER] = ClusterInfo(IN_CLUSTER, "in-cluster", server=f"https://{host}:{port}")
        elif settings.uses_demo:
            found[DEMO_CLUSTER] = ClusterInfo(DEMO_CLUSTER, "demo", context=DEMO_CLUSTER)
        return found

    # -------------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self.infos)

    def default(self) -> str:
        if not self.infos:
            raise KubeError(
                "no Kubernetes cluster is configured (set PORTAL_AGENT_KUBECONFIG)"
                + (f"; problems: {'; '.join(self.problems)}" if self.problems else "")
            )
        return next(iter(self.infos))

    def resolve(self, name: str | None) -> str:
        if not name:
            return self.default()
        if name in self.infos:
            return name
        raise KubeError(
            f"unknown cluster {name!r}; known clusters: {', '.join(self.infos) or 'none'}", kind="not_found"
        )

    def client(self, name: str | None = None) -> Any:
        """The ApiClient of a cluster (``kubernetes.client.ApiClient``), created once."""
        name = self.resolve(name)
        with self._lock:
            if name not in self._clients:
                self._clients[name] = self._build(self.infos[name])
            return self._clients[name]

    def _build(self, info: ClusterInfo) -> Any:
        from kubernetes import client, config

        cfg = client.Configuration()
        try:
            if info.source == "in-cluster":
                config.load_incluster_config(client_configuration=cfg)
            else:
                file = info.file if info.source == "kubeconfig" else str(demo_kubeconfig(self.runtime))
                config.load_kube_config(
                    config_file=file, context=info.context, client_configuration=cfg, persist_config=False
                )
        except Exception as exc:
            raise KubeError(
                f"cluster {info.name}: cannot load its configuration: {type(exc).__name__}: {exc}", kind="config"
            ) from exc
        cfg.retries = 1
        return client.ApiClient(cfg)


def clusters_for(runtime: FamilyRuntime) -> Clusters:
    return runtime.service("kubernetes.clusters", lambda: Clusters(runtime))


def demo_server(runtime: FamilyRuntime):
    """The demo cluster's stand-in API, started on first use (a daemon thread, loopback, free port).

    Changes are saved in the data dir, so that the CLI's ``ask`` and ``approve`` (separate
    processes) show the same cluster; delete ``kubernetes/demo-cluster-state.json`` to reset it.
    """
    from tools.kubernetes.standin.server import start_demo_server

    saved = runtime.data_dir / "kubernetes" / "demo-cluster-state.json"
    return runtime.service("kubernetes.demo_server", lambda: start_demo_server(DEMO_DIR, saved))


def demo_kubeconfig(runtime: FamilyRuntime) -> Path:
    """The kubeconfig of this process's stand-in, with its per-run admin token: readable by the
    data directory's owner only, from the moment it is created."""
    from contract.private_files import write_private

    server = demo_server(runtime)
    path = runtime.data_dir / "kubernetes" / "demo-kubeconfig.yaml"
    write_private(path, yaml.safe_dump(server.kubeconfig(DEMO_CLUSTER)))
    return path
