"""Which clusters the portal can see, and one ``kubernetes`` ApiClient per cluster, created lazily.

Sources, in order: the kubeconfig files in ``settings.kubeconfig`` (every context of every file is
a cluster, by context name: several clusters at once), together with the read-only snapshots in
``settings.kubernetes_snapshot`` (each path one cluster, named after its basename, served by
:class:`snapshot.SnapshotKube`); else the in-cluster service account; else
the :class:`ProvidedCluster` the process was wired with (the demo organisation's stand-in API),
reached through the kubeconfig it generates, so it runs through exactly the same client code path.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from tools.kubernetes.errors import KubeError

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime

log = logging.getLogger(__name__)

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
IN_CLUSTER = "in-cluster"
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 15.0
# The runtime service under which whoever wires the process may register a ProvidedCluster.
PROVIDED_CLUSTER = "kubernetes.provided_cluster"


class ProvidedCluster(Protocol):
    """A cluster the process provides itself when none is configured (the demo's stand-in API)."""

    name: str

    def kubeconfig(self) -> Path:
        """A kubeconfig file with one context, ``name``; the cluster is started on first use."""
        ...


def provided_cluster(runtime: FamilyRuntime) -> ProvidedCluster | None:
    return runtime.service(PROVIDED_CLUSTER, lambda: None)


def in_cluster_available() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and (SERVICE_ACCOUNT / "token").exists()


def cluster_sources_configured(runtime: FamilyRuntime) -> bool:
    settings = runtime.settings
    return (
        bool(settings.kubeconfig or settings.kubernetes_snapshot)
        or in_cluster_available()
        or provided_cluster(runtime) is not None
    )


@dataclass
class ClusterInfo:
    name: str
    source: str  # "kubeconfig" | "snapshot" | "in-cluster" | "provided"
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
        if settings.kubeconfig or settings.kubernetes_snapshot:
            self._discover_kubeconfigs(found)
            self._discover_snapshots(found)
        elif in_cluster_available():
            host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
            found[IN_CLUSTER] = ClusterInfo(IN_CLUSTER, "in-cluster", server=f"https://{host}:{port}")
        elif (provided := provided_cluster(self.runtime)) is not None:
            found[provided.name] = ClusterInfo(provided.name, "provided", context=provided.name)
        return found

    def _discover_kubeconfigs(self, found: dict[str, ClusterInfo]) -> None:
        for raw in self.runtime.settings.kubeconfig:
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

    def _discover_snapshots(self, found: dict[str, ClusterInfo]) -> None:
        """Each snapshot path is one cluster named after its basename (``-2``… when two share one)."""
        for raw in self.runtime.settings.kubernetes_snapshot:
            path = Path(raw).expanduser()
            base = path.resolve().name or "snapshot"
            name, n = base, 1
            while name in found:
                n += 1
                name = f"{base}-{n}"
            found[name] = ClusterInfo(name, "snapshot", file=str(path))

    # -------------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self.infos)

    def default(self) -> str:
        if not self.infos:
            raise KubeError(
                "no Kubernetes cluster is configured (set PORTAL_AGENT_KUBECONFIG or PORTAL_AGENT_KUBERNETES_SNAPSHOT)"
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

    def is_snapshot(self, name: str | None = None) -> bool:
        """A cluster loaded from files: read-only, so no change to it is ever offered for approval."""
        return self.infos[self.resolve(name)].source == "snapshot"

    def snapshot(self, name: str | None = None) -> Any:
        """The loaded objects of a snapshot cluster (:class:`snapshot_files.Loaded`), read once."""
        from tools.kubernetes.snapshot import Snapshots

        info = self.infos[self.resolve(name)]
        loaded = self.runtime.service("kubernetes.snapshots", Snapshots).get(Path(info.file or ""))
        for warning in loaded.warnings:
            if warning not in self.problems:
                self.problems.append(warning)
        return loaded

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
                # a "provided" cluster is discovered only when there is one
                file = info.file if info.source == "kubeconfig" else str(provided_cluster(self.runtime).kubeconfig())
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
