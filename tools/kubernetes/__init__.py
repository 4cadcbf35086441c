"""Kubernetes: an entity's workloads, diagnosis by deterministic analyzers, and approved remediation.

Nothing heavy is imported here: the ``kubernetes`` client is imported inside the functions that
talk to a cluster, and clients are created lazily through ``runtime.service``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily

if TYPE_CHECKING:
    from agent.planner.intents import Intent
    from agent.runtime import Runtime
    from agent.tooling import PortalTool


def _tools(runtime: Runtime) -> list[PortalTool]:
    from tools.kubernetes.tools import build_tools

    return build_tools(runtime)


def _intents(runtime: Runtime) -> list[Intent]:
    from tools.kubernetes.intents import build_intents

    return build_intents(runtime)


def _enabled(runtime: Runtime) -> bool:
    """On with configured kubeconfigs, in a cluster, or with the demo organisation's stand-in."""
    from tools.kubernetes.clusters import cluster_sources_configured

    return cluster_sources_configured(runtime.settings)


family = ToolFamily(name="kubernetes", tools=_tools, intents=_intents, enabled=_enabled)
