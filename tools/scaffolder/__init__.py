"""The scaffolder family: run Backstage ``scaffolder.backstage.io/v1beta3`` templates from chat.

Every run is a dry run first (the whole tree rendered in a scratch workspace and shown); publishing
is a mutating tool that goes through the approval gate. New templates can be composed offline from
built-in building blocks and are checked by the same engine before they are offered.

Importing this package is cheap: tools and intents are described lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily

if TYPE_CHECKING:
    from agent.runtime import Runtime


def _tools(runtime: Runtime):
    from tools.scaffolder.tools import scaffolder_tools

    return scaffolder_tools(runtime)


def _intents(runtime: Runtime):
    from tools.scaffolder.intents import scaffolder_intents

    return scaffolder_intents(runtime)


family = ToolFamily(name="scaffolder", tools=_tools, intents=_intents)
