"""Scoring one eval case: were the expected tools called, and are the expected facts in the answer?"""

from __future__ import annotations

from typing import Any

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
    forbidden_facts: list[str] = Field(default_factory=list)
    interrupt_ok: bool = True

    @property
    def correct(self) -> bool:
        return self.tools_ok and self.facts_ok and self.interrupt_ok


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("`", "").split())


def score(expect: Expectation, answer: str, tool_calls: list[dict[str, Any]], interrupted: bool) -> Score:
    called = {c["name"] for c in tool_calls}
    missing_tools = [t for t in expect.tools if t not in called]
    if not expect.tools and expect.facts == [] and not expect.any_facts:
        missing_tools = []
    text = _norm(answer)
    missing = [f for f in expect.facts if _norm(f) not in text]
    if expect.any_facts and not any(_norm(f) in text for f in expect.any_facts):
        missing.append("any of: " + " | ".join(expect.any_facts))
    forbidden = [f for f in expect.not_facts if _norm(f) in text]
    interrupt_ok = expect.interrupt is None or expect.interrupt == interrupted
    return Score(
        tools_ok=not missing_tools,
        facts_ok=not missing and not forbidden,
        missing_tools=missing_tools,
        missing_facts=missing,
        forbidden_facts=forbidden,
        interrupt_ok=interrupt_ok,
    )
