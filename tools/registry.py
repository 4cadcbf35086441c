"""Which tool families exist. Each family package exposes ``family``, a :class:`ToolFamily`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.planner.intents import Intent
    from agent.runtime import Runtime
    from agent.tooling import PortalTool

FAMILY_MODULES = (
    "tools.catalog",
    "tools.docs",
    "tools.kubernetes",
    "tools.cost",
    "tools.scaffolder",
    "tools.runbooks",
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
    tools: Callable[[Runtime], list[PortalTool]]
    intents: Callable[[Runtime], list[Intent]]
    enabled: Callable[[Runtime], bool] = lambda runtime: True
    live: Callable[[Runtime], bool] | None = None
    unconfigured: str = ""


def lazy(target: str) -> Callable[[Runtime], Any]:
    """``"package.module:function"`` imported on first call, so registering a family stays cheap."""
    module_name, _, function_name = target.partition(":")

    def build(runtime: Runtime) -> Any:
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


def enabled_families(runtime: Runtime) -> list[ToolFamily]:
    return [family for family in builtin_families() if family.enabled(runtime)]
