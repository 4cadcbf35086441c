"""Tokens sent to an LLM per turn before any history: system prompt + tool schemas (bar ≤ 3,000).

Counted with tiktoken's cl100k_base (offline ranks) over exactly what the graph sends: the rendered
system prompt with every enabled family's guidance, and the JSON tool schemas passed to bind_tools.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.prompts import system_prompt
from agent.runtime import Runtime
from agent.tool_selection import select_for_turn
from contract.settings import Settings
from contract.tokens import count_tokens

QUESTIONS = [
    "who owns checkout?",
    "why is checkout crashlooping?",
    "what did search cost last month?",
    "how do I rotate the payments API key?",
    "create a new python service called invoice-api owned by team-billing",
]


def main() -> None:
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
        print(f"worst per-turn total: {worst} tokens (bar ≤ 3,000)")


if __name__ == "__main__":
    main()
