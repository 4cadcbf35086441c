"""Which tool families exist. Each family package exposes ``family``, a :class:`ToolFamily`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
)


@dataclass
class ToolFamily:
    """A tool family: its tools, its planner intents, and whether the configuration enables it.

    ``tools`` and ``intents`` must be cheap: they describe tools; clients are created lazily.
    """

    name: str
    tools: Callable[[Runtime], list[PortalTool]]
    intents: Callable[[Runtime], list[Intent]]
    enabled: Callable[[Runtime], bool] = lambda runtime: True


def lazy(target: str) -> Callable[[Runtime], list]:
    """``"package.module:function"`` imported on first call, so registering a family stays cheap."""
    module_name, _, function_name = target.partition(":")

    def build(runtime: Runtime) -> list:
        return getattr(importlib.import_module(module_name), function_name)(runtime)

    return build


def enabled_families(runtime: Runtime) -> list[ToolFamily]:
    families: list[ToolFamily] = []
    for module_name in FAMILY_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # the family is not part of this build
                continue
            raise
        family: ToolFamily = module.family
        if family.enabled(runtime):
            families.append(family)
    return families
