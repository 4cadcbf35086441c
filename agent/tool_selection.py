"""What an LLM is offered on a given turn: the tools and family guidance that fit the token budget.

Binding every family's tools on every turn would cost about ten thousand tokens before the
question is even read. The planner's router already knows which intents a question is closest
to, and each intent names the tools it plans with; so an LLM is offered, in this order and as far
as the budget allows: the tools it used earlier in the conversation (follow-ups), the tools of
the intents ranked highest for this question, the rest of the best family's tools, the catalog's
(everything refers to it), then any others. The best family's guidance is included when it fits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agent.runtime import Runtime
from contract.tokens import count_tokens

# Tokens per turn for the system prompt, guidance and tool schemas together (a DESIGN quality bar).
TURN_BUDGET = 3000
ALWAYS = ("catalog",)
TOP_INTENTS = 6


@dataclass
class TurnTools:
    schemas: list[dict[str, Any]] = field(default_factory=list)
    guidance_families: list[str] = field(default_factory=list)
    tokens: int = 0


def _schema_tokens(runtime: Runtime) -> dict[str, tuple[dict[str, Any], int]]:
    return {
        name: (tool.model_schema(), count_tokens(json.dumps(tool.model_schema())))
        for name, tool in runtime.tools.items()
    }


def _guidance_tokens(family: str) -> int:
    from tools.registry import family_guidance

    return count_tokens(family_guidance(family))


def select_for_turn(
    runtime: Runtime,
    question: str,
    *,
    base_tokens: int,
    used_tools: list[str] | None = None,
    budget: int = TURN_BUDGET,
) -> TurnTools:
    """Tools and guidance for one LLM turn, within ``budget`` tokens including ``base_tokens``."""
    schemas = runtime.service("tool-selection.schemas", lambda: _schema_tokens(runtime))
    ranked = [c for c in runtime.router.rank(question, allow_semantic=False) if c.intent.family != "none"]
    wanted: list[str] = [t for t in (used_tools or []) if t in schemas]
    for candidate in ranked[:TOP_INTENTS]:
        wanted.extend(t for t in candidate.intent.requires if t in schemas)
    top_family = ranked[0].intent.family if ranked else None
    for family in (top_family, *ALWAYS):
        wanted.extend(name for name, tool in runtime.tools.items() if tool.family == family)
    wanted.extend(runtime.tools)  # whatever budget is left: the rest, in registration order

    chosen = TurnTools(tokens=base_tokens)
    if top_family and base_tokens + _guidance_tokens(top_family) < budget // 2:
        chosen.guidance_families.append(top_family)
        chosen.tokens += _guidance_tokens(top_family)
    for name in dict.fromkeys(wanted):
        schema, tokens = schemas[name]
        if chosen.tokens + tokens > budget:
            continue
        chosen.schemas.append(schema)
        chosen.tokens += tokens
    return chosen
