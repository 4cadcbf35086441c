"""Scoring one eval case: were the expected tools called, and are the expected facts in the answer?

A failed case is also classified: an **honest no** (the answer says it cannot answer, found nothing
for the words asked, or needs an LLM, and asserts nothing forbidden), an **incomplete** answer (it
holds some of the expected facts, misses others and asserts nothing forbidden: the right passage,
one key short) or a **wrong** one (none of the expected facts, or a forbidden one). They are
reported apart because a wrong fact or figure is the worst answer the product can give, while an
honest no only costs the user a search elsewhere. An incomplete answer counts as failed like the
others; "wrong" in a summary that does not split them means both (``Outcome`` has all four).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field


class Expectation(BaseModel):
    tools: list[str] = Field(default_factory=list, description="Tools that must be called (any order)")
    facts: list[str] = Field(default_factory=list, description="Substrings the answer must contain")
    any_facts: list[str] = Field(default_factory=list, description="At least one of these must appear")
    not_facts: list[str] = Field(default_factory=list, description="Substrings the answer must not contain")
    interrupt: bool | None = Field(None, description="Whether the turn must end in an approval request")


class Score(BaseModel):
    tools_ok: bool
    facts_ok: bool
    missing_tools: list[str] = Field(default_factory=list)
    missing_facts: list[str] = Field(default_factory=list)
    found_facts: list[str] = Field(default_factory=list)  # the expected facts the answer does hold
    forbidden_facts: list[str] = Field(default_factory=list)
    interrupt_ok: bool = True

    @property
    def correct(self) -> bool:
        return self.tools_ok and self.facts_ok and self.interrupt_ok


Outcome = Literal["correct", "honest", "incomplete", "wrong"]

# How the product says it cannot answer. Deliberately narrow: "No warning events for X" or "Nothing
# depends on X" are claims about the data (wrong when the data says otherwise), not abstentions.
ABSTENTIONS = re.compile(
    "|".join(
        (
            r"\bcan(?:'|no)t answer\b",
            r"\bneeds? (?:a configured |an )?llm\b",
            r"\bcouldn't (?:find|search|tell|answer)\b",
            r"\bcould not (?:find|search|tell|answer)\b",
            r"\bnot documented\b",
            r"\bno passage is relevant\b",
            r"\bnothing in the catalog matched\b",
            r"\bno catalog entity matches\b",
            r"\bno runbook (?:matches|covers)\b",
            r"\bno [\w ]{1,40}? (?:is|are) configured\b",
            r"\bi don't know\b",
        )
    )
)


def is_abstention(answer: str) -> bool:
    return bool(ABSTENTIONS.search(_norm(answer).replace("’", "'")))


def outcome(result: Score, answer: str) -> Outcome:
    """Correct, an honest no, incomplete or wrong (see the module docstring)."""
    if result.correct:
        return "correct"
    if result.forbidden_facts:
        return "wrong"
    if is_abstention(answer):
        return "honest"
    if result.found_facts and result.missing_facts and result.tools_ok and result.interrupt_ok:
        return "incomplete"
    return "wrong"


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("`", "").split())


def score(expect: Expectation, answer: str, tool_calls: list[dict[str, Any]], interrupted: bool) -> Score:
    called = {c["name"] for c in tool_calls}
    missing_tools = [t for t in expect.tools if t not in called]
    if not expect.tools and expect.facts == [] and not expect.any_facts:
        missing_tools = []
    text = _norm(answer)
    missing = [f for f in expect.facts if _norm(f) not in text]
    found = [f for f in expect.facts if _norm(f) in text]
    if expect.any_facts:
        present = [f for f in expect.any_facts if _norm(f) in text]
        found += present[:1]
        if not present:
            missing.append("any of: " + " | ".join(expect.any_facts))
    forbidden = [f for f in expect.not_facts if _norm(f) in text]
    interrupt_ok = expect.interrupt is None or expect.interrupt == interrupted
    return Score(
        tools_ok=not missing_tools,
        facts_ok=not missing and not forbidden,
        missing_tools=missing_tools,
        missing_facts=missing,
        found_facts=found,
        forbidden_facts=forbidden,
        interrupt_ok=interrupt_ok,
    )
