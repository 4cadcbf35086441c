"""What the model reads on each turn: the tools it is offered and the history, system prompt first.

The offline planner reads no schemas, so it is bound once to every tool; an LLM is offered the
tools relevant to the turn (:mod:`agent.tool_selection`) to stay within the token budget.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, SystemMessage
from langchain_core.runnables import Runnable

from agent.budget import trim_history
from agent.planner.model import OfflinePlanner
from agent.prompts import system_prompt
from agent.runtime import Runtime
from agent.tool_selection import select_for_turn
from contract.principal import Principal
from contract.tokens import count_tokens


class ModelInput:
    def __init__(self, runtime: Runtime, model: BaseChatModel):
        self.runtime = runtime
        self.model = model
        tools = runtime.tools
        self.every_tool = model.bind_tools([tool.model_schema() for tool in tools.values()]) if tools else model

    def __call__(self, messages: list[AnyMessage], principal: Principal) -> tuple[Runnable, list[AnyMessage]]:
        """The model bound to this turn's tools, and the history it reads."""
        runtime = self.runtime
        if isinstance(self.model, OfflinePlanner) or not runtime.tools:
            bound, guidance = self.every_tool, [family.name for family in runtime.families]
        else:
            question = next((m.content for m in reversed(messages) if m.type == "human"), "")
            used = [c["name"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
            base = count_tokens(system_prompt(principal=principal.ref, via=principal.via, families=[]))
            turn = select_for_turn(runtime, str(question), base_tokens=base, used_tools=list(reversed(used)))
            bound, guidance = self.model.bind_tools(turn.schemas), turn.guidance_families
        system = SystemMessage(
            content=system_prompt(principal=principal.ref, via=principal.via, families=guidance),
            additional_kwargs={"principal": principal.model_dump()},
        )
        return bound, trim_history([system, *messages], runtime.settings.history_tokens)
