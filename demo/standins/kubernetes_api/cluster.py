"""The demo cluster, ``tessera-prod``: the stand-in API over the seed state in ``demo/cluster/``.

Offered to the Kubernetes family as its provided cluster (see :mod:`demo.wiring`); the family
reaches it through a generated kubeconfig, so the demo runs through the real client code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from demo import DEMO_DIR

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from demo.standins.kubernetes_api.server import Server

CLUSTER_DIR = DEMO_DIR / "cluster"
DEMO_CLUSTER = "tessera-prod"


def demo_server(runtime: FamilyRuntime) -> Server:
    """The demo cluster's stand-in API, started on first use (a daemon thread, loopback, free port).

    Changes are saved in the data dir, so that the CLI's ``ask`` and ``approve`` (separate
    processes) show the same cluster; delete ``kubernetes/demo-cluster-state.json`` to reset it.
    """
    from demo.standins.kubernetes_api.server import start_demo_server

    saved = runtime.data_dir / "kubernetes" / "demo-cluster-state.json"
    return runtime.service("kubernetes.demo_server", lambda: start_demo_server(CLUSTER_DIR, saved))


def demo_kubeconfig(runtime: FamilyRuntime) -> Path:
    """The kubeconfig of this process's stand-in, with its per-run admin token: readable by the
    data directory's owner only, from the moment it is created."""
    from contract.private_files import write_private

    server = demo_server(runtime)
    path = runtime.data_dir / "kubernetes" / "demo-kubeconfig.yaml"
    write_private(path, yaml.safe_dump(server.kubeconfig(DEMO_CLUSTER)))
    return path


@dataclass
class StandInCluster:
    """The demo cluster as a ``tools.kubernetes.clusters.ProvidedCluster``: nothing starts until a
    tool first reaches it."""

    runtime: FamilyRuntime
    name: str = DEMO_CLUSTER

    def kubeconfig(self) -> Path:
        return demo_kubeconfig(self.runtime)
