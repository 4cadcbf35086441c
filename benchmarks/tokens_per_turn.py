"""Tokens sent to an LLM per turn before any history: system prompt + tool schemas, and the cap on
each tool output.

Counted with tiktoken's cl100k_base (offline ranks) over exactly what the graph sends: the rendered
system prompt with every enabled family's guidance, and the JSON tool schemas passed to bind_tools.

    .venv/bin/python -m benchmarks.tokens_per_turn
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from agent.prompts import system_prompt
from agent.runtime import Runtime
from agent.tool_selection import select_for_turn
from benchmarks._common import Figure, main
from contract.settings import Settings
from contract.tokens import count_tokens

QUESTIONS = [
    "who owns checkout?",
    "why is checkout crashlooping?",
    "what did search cost last month?",
    "how do I rotate the payments API key?",
    "create a new python service called invoice-api owned by team-billing",
]


def run(quick: bool = False) -> list[Figure]:
    """The same in quick mode: it is cheap."""
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(Settings(data_dir=Path(data), demo=True))
        families = [f.name for f in runtime.families]
        prompt = system_prompt(principal="user:default/jane.doe", via="slack", families=families)
        prompt_tokens = count_tokens(prompt)
        all_tools = [t.model_schema() for t in runtime.tools.values()]
        all_tokens = count_tokens(json.dumps(all_tools))
        print(f"families: {', '.join(families)}; tools: {len(all_tools)}")
        print(
            f"system prompt: {prompt_tokens} tokens; all tool schemas: {all_tokens} tokens; "
            f"total if every tool were bound: {prompt_tokens + all_tokens}"
        )
        base = count_tokens(system_prompt(principal="user:default/jane.doe", via="slack", families=[]))
        worst = 0
        for question in QUESTIONS:
            turn = select_for_turn(runtime, question, base_tokens=base)
            sent = count_tokens(
                system_prompt(principal="user:default/jane.doe", via="slack", families=turn.guidance_families)
            )
            sent += count_tokens(json.dumps(turn.schemas))
            worst = max(worst, sent)
            names = ", ".join(s["function"]["name"] for s in turn.schemas)
            print(f"  {sent:5d} tokens for {question!r}: guidance {turn.guidance_families}, tools {names}")
        for tool in sorted(runtime.tools.values(), key=lambda t: -count_tokens(json.dumps(t.model_schema()))):
            print(f"    {count_tokens(json.dumps(tool.model_schema())):4d}  {tool.name}")
        print(f"worst per-turn total: {worst} tokens")
    return [
        Figure("system prompt", prompt_tokens, "tokens"),
        Figure("all tool schemas", all_tokens, "tokens"),
        Figure("worst turn", worst, "tokens"),
        Figure("tool output cap", runtime.settings.tool_output_tokens, "tokens"),
    ]


if __name__ == "__main__":
    main(run)
