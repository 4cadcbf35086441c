"""The software-catalog tool family: Backstage entities, relations, owners, on-call and APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily, guidance_of, lazy

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime


def _live(runtime: FamilyRuntime) -> bool:
    """A configured source (even one that failed to load: its errors are the answer), or entities
    registered at run time."""
    settings = runtime.settings
    return bool(settings.uses_demo or settings.catalog or settings.github_discovery) or bool(runtime.catalog.all())


family = ToolFamily(
    name="catalog",
    guidance=guidance_of(__name__),
    tools=lazy("tools.catalog.tools:build_tools"),
    intents=lazy("tools.catalog.intents:build_intents"),
    catalog=lazy("tools.catalog.sources:load_catalog"),
    live=_live,
    unconfigured="no catalog is configured — set PORTAL_AGENT_CATALOG to catalog YAML files or folders or a "
    "Backstage URL, or PORTAL_AGENT_GITHUB_DISCOVERY to an owner or repository",
)
