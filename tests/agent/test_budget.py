from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agent.budget import messages_tokens, trim_history
from contract.tokens import count_tokens, truncate_to_tokens


def test_counts_with_the_offline_encoding():
    assert count_tokens("hello world") == 2
    assert count_tokens("") == 0


def test_truncation_is_visible_and_within_budget():
    text = "word " * 4999 + "word"
    cut, truncated = truncate_to_tokens(text, 200, what="catalog_search output")
    assert truncated
    assert count_tokens(cut) <= 200
    assert "[truncated: this catalog_search output was 5000 tokens, cut to 200" in cut


def test_short_text_is_untouched():
    assert truncate_to_tokens("short", 50) == ("short", False)


def _turn(i: int, size: int = 200):
    return [
        HumanMessage(content=f"question {i} " + "x " * size),
        AIMessage(content="", tool_calls=[{"name": "t", "args": {}, "id": f"c{i}", "type": "tool_call"}]),
        ToolMessage(content="y " * size, tool_call_id=f"c{i}"),
        AIMessage(content=f"answer {i}"),
    ]


def test_history_is_trimmed_at_turn_boundaries_keeping_the_latest():
    messages = [SystemMessage(content="sys")] + [m for i in range(10) for m in _turn(i)]
    trimmed = trim_history(messages, 1000)
    assert isinstance(trimmed[0], SystemMessage)
    assert isinstance(trimmed[1], HumanMessage)  # never starts with an orphan tool result
    assert trimmed[-1].content == "answer 9"
    assert messages_tokens(trimmed) <= 1000
    assert len(trimmed) < len(messages)


def test_latest_turn_is_kept_even_over_budget():
    messages = [SystemMessage(content="sys"), *_turn(0, size=2000)]
    assert trim_history(messages, 100) == messages
