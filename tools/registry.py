"""Which tool families exist. Each family package exposes ``family``, a :class:`ToolFamily`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contract.catalog import Catalog
    from contract.intents import Intent
    from contract.runtime import FamilyRuntime
    from contract.tooling import PortalTool

FAMILY_MODULES = (
    "tools.catalog",
    "tools.docs",
    "tools.kubernetes",
    "tools.cost",
    "tools.scaffolder",
    "tools.runbooks",
    "tools.mcp",  # other MCP servers' tools (PORTAL_AGENT_MCP_SERVERS)
    "agent.approval_status",  # the agent's own record of this conversation's change requests
)


@dataclass
class ToolFamily:
    """A tool family: its tools, its planner intents, and whether the configuration enables it.

    ``tools`` and ``intents`` must be cheap: they describe tools; clients are created lazily.
    ``live`` says whether the family has data to answer from (None: whenever it is enabled); a
    family that is not live is never planned to, and asking for it gets ``unconfigured``, one line
    naming the setting to configure.
    """

    name: str
    tools: Callable[[FamilyRuntime], list[PortalTool]]
    intents: Callable[[FamilyRuntime], list[Intent]]
    enabled: Callable[[FamilyRuntime], bool] = lambda runtime: True
    live: Callable[[FamilyRuntime], bool] | None = None
    unconfigured: str = ""
    # The one family that holds the catalog provides it here; the agent reads it only through this.
    catalog: Callable[[FamilyRuntime], Catalog] | None = None
    # Work a serving process starts once it is up (the docs index builds in the background) ...
    start_background: Callable[[FamilyRuntime], Any] | None = None
    # ... and what the readiness probe reports of it: entries merged into ``/readyz``.
    readiness: Callable[[FamilyRuntime], dict[str, Any]] | None = None
    # What the language model is told about this family's tools: ``guidance.md`` next to it.
    guidance: str = ""
    # One answer serves a compound question whose parts all go to this family ("Is there a way to cache
    # steps? Where's the cache kept?" is one docs search, each part's best line quoted): its parts are
    # not answered one by one, which would cite the same pages twice.
    answers_compound_whole: bool = False


def guidance_of(package: str) -> str:
    """A family package's ``guidance.md``, or "" when it has none."""
    path = Path(importlib.import_module(package).__file__).parent / "guidance.md"
    return path.read_text(encoding="utf-8").strip() if path.exists() else ""


@cache
def family_guidance(name: str) -> str:
    """Cached: the system prompt asks for it on every model call, and guidance never changes at run time."""
    family = next((f for f in builtin_families() if f.name == name), None)
    return family.guidance if family is not None else ""


def lazy(target: str) -> Callable[[FamilyRuntime], Any]:
    """``"package.module:function"`` imported on first call, so registering a family stays cheap."""
    module_name, _, function_name = target.partition(":")

    def build(runtime: FamilyRuntime) -> Any:
        return getattr(importlib.import_module(module_name), function_name)(runtime)

    return build


def builtin_families() -> list[ToolFamily]:
    """Every family of this build, enabled or not (the planner recognises asks for disabled ones)."""
    families: list[ToolFamily] = []
    for module_name in FAMILY_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # the family is not part of this build
                continue
            raise
        families.append(module.family)
    return families


def enabled_families(runtime: FamilyRuntime) -> list[ToolFamily]:
    return [family for family in builtin_families() if family.enabled(runtime)]


def load_catalog(runtime: FamilyRuntime, families: list[ToolFamily]) -> Catalog:
    """The catalog, from the first of ``families`` that provides one, else from this build's catalog family.

    Identity and approvals need the catalog even in a runtime made of other families only.
    """
    for family in [*families, *builtin_families()]:
        if family.catalog is not None:
            return family.catalog(runtime)
    raise LookupError("no tool family provides the catalog (tools.catalog is not part of this build)")
