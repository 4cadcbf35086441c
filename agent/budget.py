"""Conversation history within a token budget, counted like every other budget (``contract.tokens``).

History is trimmed to a budget without splitting a tool call from its result.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage

from contract.tokens import count_tokens

PER_MESSAGE_OVERHEAD = 4  # role and separators, as OpenAI's cookbook counts them


def message_tokens(message: BaseMessage) -> int:
    content = message.content if isinstance(message.content, str) else str(message.content)
    total = PER_MESSAGE_OVERHEAD + count_tokens(content)
    if isinstance(message, AIMessage) and message.tool_calls:
        for call in message.tool_calls:
            total += count_tokens(call["name"]) + count_tokens(str(call["args"]))
    return total


def messages_tokens(messages: Sequence[BaseMessage]) -> int:
    return sum(message_tokens(m) for m in messages)


def trim_history(messages: Sequence[BaseMessage], max_tokens: int) -> list[BaseMessage]:
    """Keep the system message and the most recent turns that fit in ``max_tokens``.

    The cut is only made at the start of a human turn, so that no tool result is ever sent
    without the AI message that requested it (providers reject that). The latest turn is always
    kept whole, even over budget: dropping the question would be worse than overspending.
    """
    system = [m for m in messages if isinstance(m, SystemMessage)]
    rest = [m for m in messages if not isinstance(m, SystemMessage)]
    budget = max_tokens - messages_tokens(system)
    turn_starts = [i for i, m in enumerate(rest) if m.type == "human"] or [0]
    keep_from = turn_starts[-1]
    for start in reversed(turn_starts[:-1]):
        if messages_tokens(rest[start:]) > budget:
            break
        keep_from = start
    return system + rest[keep_from:]
