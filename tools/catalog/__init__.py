"""The software-catalog tool family: Backstage entities, relations, owners, on-call and APIs."""

from __future__ import annotations

from tools.registry import ToolFamily, lazy

family = ToolFamily(
    name="catalog", tools=lazy("tools.catalog.tools:make_tools"), intents=lazy("tools.catalog.intents:make_intents")
)
