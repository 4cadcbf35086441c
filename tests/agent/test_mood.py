"""The mood classifier: only an imperative ask requests a change (agent/planner/mood.py)."""

from __future__ import annotations

import pytest

from agent.planner.mood import Mood, mood_of, requests_change
from tests.support.mood import NOT_REQUESTS, REQUESTS


@pytest.mark.parametrize("utterance", REQUESTS)
def test_imperatives_request(utterance):
    assert mood_of(utterance) is Mood.IMPERATIVE and requests_change(utterance)


@pytest.mark.parametrize(("utterance", "mood"), NOT_REQUESTS)
def test_questions_conditionals_suggestions_do_not_request(utterance, mood):
    assert mood_of(utterance) is mood
    assert not requests_change(utterance)


def test_curly_quotes_and_capitals_do_not_change_the_mood():
    assert mood_of("Don’t RESTART checkout") is Mood.PROHIBITION
    assert mood_of("WHAT HAPPENS IF I SCALE CHECKOUT TO 0?") is Mood.CONDITIONAL


def test_empty_input_is_not_a_question():
    # A bare reply ("invoice-api", "") continues an earlier request: no question is asked in it.
    assert mood_of("") is Mood.IMPERATIVE


# --- end to end: the scaffolder's publish, through the service -----------------------------------
def test_a_question_about_creating_a_service_publishes_nothing(tmp_path):
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import Settings

    service = AgentService(Runtime(Settings(data_dir=tmp_path / "data", demo=True)))
    if "scaffolder_publish" not in service.runtime.tools:
        pytest.skip("the scaffolder family is not available in this build")
    aisha = service.principal("aisha.khan")
    asked = service.ask("should I create a new Python service called invoice-api owned by team-billing?", aisha)
    assert "scaffolder_publish" not in [c["name"] for c in asked.tool_calls] and asked.interrupt is None
    assert "**scaffold and publish** on template:default/python-fastapi-service" in asked.answer
    assert 'e.g. "create a new Python service called invoice-api owned by team-billing"' in asked.answer
    requested = service.ask("create a new Python service called invoice-api owned by team-billing", aisha)
    assert requested.interrupt["request"]["tool"] == "scaffolder_publish"
