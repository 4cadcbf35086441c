"""A compound question: split into questions of their own, and answered saying each thing once."""

from __future__ import annotations

from agent.planner.progress import Progress
from contract.intents import Answer

DESCRIPTION = "pipeline-x (resource:default/pipeline-x) is a pipeline owned by team-a."


def test_a_paragraph_two_parts_answer_alike_is_said_once():
    progress = Progress(parts=["which teams have access to pipeline-x", "what access does team-b get"])
    note = " (the question's words fit resource:default/pipeline-x better than component:default/x)"
    progress.finish_part(Answer(text=f"Teams: team-a, team-b.\n\n{DESCRIPTION}{note}"), "catalog.describe")
    progress.finish_part(Answer(text=f"team-b has READ.\n\n{DESCRIPTION}"), "catalog.describe")
    text = progress.answer().text
    assert text.count("is a pipeline owned by team-a") == 1
    assert text.index("Teams: team-a") < text.index(DESCRIPTION) < text.index("team-b has READ")


def test_a_part_whose_every_paragraph_was_said_adds_nothing():
    progress = Progress(parts=["a", "b", "c"])
    progress.finish_part(Answer(text=DESCRIPTION), "catalog.describe")
    progress.finish_part(Answer(text="Another fact."), "catalog.owner")
    progress.finish_part(Answer(text=f"{DESCRIPTION}\n\nAnother fact."), "catalog.describe")
    assert progress.answer().text == f"{DESCRIPTION}\n\nAnother fact."


def test_a_two_word_fragment_is_part_of_the_question_before_it():
    from contract.compound import split_question

    assert split_question("Are we using any commitment discounts? What type?") == [
        "Are we using any commitment discounts? What type?"
    ]
    assert split_question("what does checkout depend on? who owns it?") == [
        "what does checkout depend on?",
        "who owns it?",
    ]
    # "how much?" is a fragment too: the whole ask is one question
    assert split_question("Were there any adjustments on the bill? Which provider and how much?") == [
        "Were there any adjustments on the bill? Which provider and how much?"
    ]
