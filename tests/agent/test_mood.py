"""The mood classifier: only an imperative ask requests a change (agent/planner/mood.py)."""

from __future__ import annotations

import pytest

from agent.planner.mood import Mood, mood_of, requests_change

REQUESTS = [
    "restart checkout",
    "Restart checkout now!",
    "please restart checkout",
    "restart checkout please",
    "restart it please?",
    "kindly scale search to 12 replicas",
    "can you restart checkout?",
    "could you scale checkout to 3",
    "would you please roll back checkout",
    "would you mind restarting checkout",
    "will you bounce notifications",
    "rollout restart checkout",
    "do a rolling restart of cart",
    "bounce notifications",
    "scale reviews to zero",
    "roll it back",
    "go ahead",
    "go ahead and restart checkout",
    "yes, publish it",
    "ok restart it",
    "and restart it too",
    "just restart checkout",
    "I want you to restart checkout",
    "I'd like to restart checkout",
    "I need a new docs site called billing-handbook for team-billing",
    "we need to restart checkout",
    "let's restart checkout",
    "<@U0123> restart checkout",
    "@portal-agent restart checkout",
    "portal, restart checkout",
    "checkout is down. restart it",
    "why is checkout failing? restart it",
    "checkout needs a restart",
    "invoice-api",
    "the owner is team-payments",
    "it should be called ledger-sync",
    "walk me through the crashloop runbook for checkout and run it",
    "can you follow the oomkilled runbook on search-indexer",
    "kick off the kafka-consumer-lag runbook for shipping with replicas=8",
    "create a new Python service called invoice-api owned by team-billing",
    "restart checkout if it is still crashlooping",
]

NOT_REQUESTS = [
    # questions
    ("who can approve a restart of checkout?", Mood.QUESTION),
    ("who could approve restarting checkout", Mood.QUESTION),
    ("did the restart happen?", Mood.QUESTION),
    ("has checkout been restarted?", Mood.QUESTION),
    ("have you restarted checkout?", Mood.QUESTION),
    ("should I restart checkout?", Mood.QUESTION),
    ("should we scale checkout to 0", Mood.QUESTION),
    ("shall I roll back checkout?", Mood.QUESTION),
    ("how do I restart checkout?", Mood.QUESTION),
    ("how can I scale search", Mood.QUESTION),
    ("why don't you restart checkout?", Mood.QUESTION),
    ("when was checkout last restarted?", Mood.QUESTION),
    ("can I restart checkout?", Mood.QUESTION),
    ("can we restart checkout?", Mood.QUESTION),
    ("is it safe to restart checkout?", Mood.QUESTION),
    ("does a restart of checkout need approval?", Mood.QUESTION),
    ("do I need approval to restart checkout?", Mood.QUESTION),
    ("do restarts of checkout need four eyes?", Mood.QUESTION),
    ("will restarting checkout drop traffic?", Mood.QUESTION),
    ("restart checkout?", Mood.QUESTION),
    ("roll back checkout or not?", Mood.QUESTION),
    ("the restart happened?", Mood.REPORT),
    ("could you tell me what happens if I restart checkout", Mood.QUESTION),
    ("tell me who can approve a restart of checkout", Mood.QUESTION),
    ("explain what restarting checkout does", Mood.QUESTION),
    ("I'd like to know what a restart of checkout would do", Mood.QUESTION),
    ("I want to understand how scaling checkout works", Mood.QUESTION),
    ("I wonder whether we should restart checkout", Mood.QUESTION),
    ("what's the process to roll back checkout?", Mood.QUESTION),
    # conditionals and hypotheticals
    ("what happens if I scale checkout to 0?", Mood.CONDITIONAL),
    ("what would happen if we restarted checkout", Mood.CONDITIONAL),
    ("what if we roll back checkout", Mood.CONDITIONAL),
    ("if I restart checkout, will orders break?", Mood.CONDITIONAL),
    ("suppose we scale checkout to 0", Mood.CONDITIONAL),
    ("hypothetically, scale checkout to 0", Mood.CONDITIONAL),
    ("would it be safe to roll back checkout", Mood.CONDITIONAL),
    ("imagine I bounce notifications", Mood.CONDITIONAL),
    # suggestions
    ("we should restart checkout", Mood.SUGGESTION),
    ("maybe restart checkout", Mood.SUGGESTION),
    ("how about restarting checkout", Mood.SUGGESTION),
    ("I think we need to restart checkout", Mood.SUGGESTION),
    ("perhaps scale search to 12", Mood.SUGGESTION),
    # prohibitions
    ("don't restart checkout", Mood.PROHIBITION),
    ("please do not scale checkout to 0", Mood.PROHIBITION),
    ("never roll back checkout", Mood.PROHIBITION),
    ("no restart of checkout today", Mood.PROHIBITION),
    # reports of the past
    ("I restarted checkout an hour ago", Mood.REPORT),
    ("someone scaled checkout to 0", Mood.REPORT),
    ("checkout was restarted", Mood.REPORT),
    ("the pods were restarted twice", Mood.REPORT),
]


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
