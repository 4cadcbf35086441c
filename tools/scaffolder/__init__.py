"""The scaffolder family: run Backstage ``scaffolder.backstage.io/v1beta3`` templates from chat.

Every run is a dry run first (the whole tree rendered in a scratch workspace and shown); publishing
is a mutating tool that goes through the approval gate. New templates can be composed offline from
built-in building blocks and are checked by the same engine before they are offered.

Importing this package is cheap: tools and intents are described lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily, guidance_of, lazy

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime


def _live(runtime: FamilyRuntime) -> bool:
    """Templates to run: from the catalog, the ``templates`` setting, or generated here."""
    from tools.scaffolder.sources import templates_of

    return bool(templates_of(runtime).templates)


family = ToolFamily(
    name="scaffolder",
    guidance=guidance_of(__name__),
    tools=lazy("tools.scaffolder.tools:build_tools"),
    intents=lazy("tools.scaffolder.intents:build_intents"),
    live=_live,
    unconfigured="no software templates are configured — set PORTAL_AGENT_TEMPLATES to template folders or "
    "files, or add Template entities to the catalog",
)
