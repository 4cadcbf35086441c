"""Which tools to offer an LLM on a given turn, to keep each request within the token budget.

Binding every family's tools on every turn would cost thousands of tokens before the question is
even read. The planner's router already knows which families a question is about, so an LLM is
offered, in this order and as far as the budget allows: the families it used earlier in the
conversation (follow-ups), the families ranked highest for this question, the catalog (everything
refers to it), then the rest.
"""

from __future__ import annotations

import json
from typing import Any

from agent.budget import count_tokens
from agent.runtime import Runtime

ALWAYS = ("catalog",)
MAX_FAMILIES = 3


def _family_tokens(runtime: Runtime) -> dict[str, tuple[list[dict[str, Any]], int]]:
    out: dict[str, tuple[list[dict[str, Any]], int]] = {}
    for tool in runtime.tools.values():
        schemas, _ = out.get(tool.family, ([], 0))
        schemas.append(tool.model_schema())
        out[tool.family] = (schemas, 0)
    return {family: (schemas, count_tokens(json.dumps(schemas))) for family, (schemas, _) in out.items()}


def tool_schemas_for(
    runtime: Runtime, question: str, *, used_families: list[str] | None = None, budget: int = 2200
) -> list[dict[str, Any]]:
    families = runtime.service("tool-selection.families", lambda: _family_tokens(runtime))
    ranked: list[str] = []
    for candidate in runtime.router.rank(question, allow_semantic=False):
        if candidate.score < 0.2:
            break
        if candidate.intent.family not in ranked:
            ranked.append(candidate.intent.family)
    # Most relevant first; the remaining families fill whatever budget is left.
    wanted = [*(used_families or []), *ranked[:MAX_FAMILIES], *ALWAYS, *ranked[MAX_FAMILIES:], *families]
    chosen: list[dict[str, Any]] = []
    spent = 0
    for family in dict.fromkeys(wanted):
        if family not in families:
            continue
        schemas, tokens = families[family]
        if spent + tokens > budget and chosen:
            continue
        chosen.extend(schemas)
        spent += tokens
    return chosen
