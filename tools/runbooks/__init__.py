"""Runbooks: step-by-step procedures on-call staff follow, or have the agent follow, from chat.

Sources are the folders in ``settings.runbooks`` (plus ``demo/runbooks/`` with the demo
organisation), in the prometheus-operator runbooks format or portal-agent's executable format.
Nothing is loaded until a runbook tool first runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily, guidance_of, lazy

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime


def _enabled(runtime: FamilyRuntime) -> bool:
    """On when runbook folders are configured or the demo organisation (with its runbooks) is used."""
    return bool(runtime.settings.runbooks) or runtime.settings.uses_demo


family = ToolFamily(
    name="runbooks",
    guidance=guidance_of(__name__),
    tools=lazy("tools.runbooks.tools:build_tools"),
    intents=lazy("tools.runbooks.intents:build_intents"),
    enabled=_enabled,
    unconfigured="no runbooks are configured — set PORTAL_AGENT_RUNBOOKS to runbook folders",
)
