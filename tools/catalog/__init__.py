"""The software-catalog tool family: Backstage entities, relations, owners, on-call and APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily

if TYPE_CHECKING:
    from agent.planner.intents import Intent
    from agent.runtime import Runtime
    from agent.tooling import PortalTool


def _tools(runtime: Runtime) -> list[PortalTool]:
    from tools.catalog.tools import make_tools

    return make_tools(runtime)


def _intents(runtime: Runtime) -> list[Intent]:
    from tools.catalog.intents import make_intents

    return make_intents(runtime)


family = ToolFamily(name="catalog", tools=_tools, intents=_intents)
