"""Kubernetes: an entity's workloads, diagnosis by deterministic analyzers, and approved remediation.

Nothing heavy is imported here: the ``kubernetes`` client is imported inside the functions that
talk to a cluster, and clients are created lazily through ``runtime.service``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily, guidance_of, lazy

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime


def _enabled(runtime: FamilyRuntime) -> bool:
    """On with kubeconfigs or snapshots configured, in a cluster, or with a provided cluster (the demo stand-in)."""
    from tools.kubernetes.clusters import cluster_sources_configured

    return cluster_sources_configured(runtime)


family = ToolFamily(
    name="kubernetes",
    guidance=guidance_of(__name__),
    tools=lazy("tools.kubernetes.tools:build_tools"),
    intents=lazy("tools.kubernetes.intents:build_intents"),
    enabled=_enabled,
    unconfigured="no Kubernetes cluster is configured — set PORTAL_AGENT_KUBECONFIG to kubeconfig files "
    "or PORTAL_AGENT_KUBERNETES_SNAPSHOT to captured objects (or run portal-agent inside a cluster)",
)
