"""Models the eval harness drives the real graph with, and a meter of what any model is sent.

- :class:`OracleModel` makes a case's ideal tool calls (``oracle:`` in the dataset) and answers with
  exactly the tool output it was given, as capped for a model. Scoring that answer measures the
  tools' ceiling: what the best possible LLM could say with these tools, without running one.
- :class:`TokenMeter` counts (tiktoken) the tokens sent to and received from a chat model, whatever
  the model is, through LangChain's callbacks.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult, LLMResult
from pydantic import BaseModel, Field

from contract.tokens import count_tokens


class OracleCall(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


def current_turn(messages: list[BaseMessage]) -> list[BaseMessage]:
    """The messages after the user's latest question: what this turn has done so far."""
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    return messages[last_human + 1 :]


def reply(*, calls: list[dict[str, Any]] | None = None, text: str = "", prefix: str = "c") -> ChatResult:
    tool_calls = [
        {"name": c["name"], "args": c["args"], "id": f"{prefix}{i}", "type": "tool_call"}
        for i, c in enumerate(calls or [])
    ]
    return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text, tool_calls=tool_calls))])


def tool_output(turn: list[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in turn if isinstance(m, ToolMessage))


class OracleModel(BaseChatModel):
    """Calls exactly ``calls`` (one round), then answers with the tool output it was sent."""

    calls: list[OracleCall]

    @property
    def _llm_type(self) -> str:
        return "oracle"

    def bind_tools(self, tools: Any, **kwargs: Any) -> OracleModel:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        turn = current_turn(messages)
        if not any(isinstance(m, AIMessage) and m.tool_calls for m in turn):
            return reply(calls=[c.model_dump() for c in self.calls], prefix="oracle")
        return reply(text=tool_output(turn) or "(no tool output)")


class TokenMeter(BaseCallbackHandler):
    """Tokens sent to and received from the chat model it is attached to (``model.callbacks``)."""

    def __init__(self) -> None:
        self.sent = 0
        self.received = 0
        self.calls = 0

    def reset(self) -> None:
        self.sent = self.received = self.calls = 0

    def on_chat_model_start(self, serialized: dict, messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        self.calls += 1
        tools = (kwargs.get("invocation_params") or {}).get("tools") or []
        self.sent += count_tokens(json.dumps(tools)) if tools else 0
        for message in (m for batch in messages for m in batch):
            self.sent += count_tokens(str(message.content))
            if isinstance(message, AIMessage) and message.tool_calls:
                self.sent += count_tokens(json.dumps([c["args"] for c in message.tool_calls]))

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generation in (g for batch in response.generations for g in batch):
            message = getattr(generation, "message", None)
            self.received += count_tokens(str(getattr(message, "content", "") or generation.text))
            if isinstance(message, AIMessage) and message.tool_calls:
                self.received += count_tokens(json.dumps([[c["name"], c["args"]] for c in message.tool_calls]))
