"""Tools offered to an LLM per turn stay within the token budget and include the relevant ones."""

from __future__ import annotations

import json

import pytest

from agent.prompts import system_prompt
from agent.runtime import Runtime
from agent.tool_selection import TURN_BUDGET, select_for_turn
from contract.settings import Settings
from contract.tokens import count_tokens


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    return Runtime(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True))


@pytest.mark.parametrize(
    ("question", "expected_tool"),
    [
        ("who owns checkout?", "catalog_owner"),
        ("what breaks if orders-db goes down?", "catalog_dependencies"),
        ("what did search cost last month?", "cost_breakdown"),
        ("how do I rotate the payments API key?", "search_docs"),
    ],
)
def test_relevant_tools_within_budget(runtime, question, expected_tool):
    base = count_tokens(system_prompt(principal="user:default/jane.doe", via="slack", families=[]))
    turn = select_for_turn(runtime, question, base_tokens=base)
    names = [s["function"]["name"] for s in turn.schemas]
    assert expected_tool in names
    sent = count_tokens(system_prompt(principal="user:default/jane.doe", via="slack", families=turn.guidance_families))
    sent += count_tokens(json.dumps(turn.schemas))
    assert sent <= TURN_BUDGET


def test_tools_used_earlier_in_the_conversation_come_first(runtime):
    turn = select_for_turn(runtime, "and for last quarter?", base_tokens=300, used_tools=["cost_breakdown"])
    assert turn.schemas[0]["function"]["name"] == "cost_breakdown"
