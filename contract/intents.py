"""The contract for offline-planner intents, declared per tool family in ``tools/<family>/intents.yaml``.

An intent recognises one kind of ask ("who owns X"), extracts its slots, and plans the turn one
step at a time: each call to :meth:`Intent.plan` sees the results of the tool calls made so far in
this turn and returns either more tool calls or the answer. Answers are composed from those tool
results only, and name the entity refs they came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from contract.principal import Principal
    from contract.runtime import FamilyRuntime


class ToolCallSpec(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class CallTools(BaseModel):
    """Run these tools (in parallel), then call ``plan`` again with their results."""

    calls: list[ToolCallSpec]
    # Progress so far, shown with the calls (e.g. a runbook's report while a step awaits approval).
    note: str | None = None


class Answer(BaseModel):
    """The final text of the turn. ``refs`` become the conversation's focus for follow-ups.

    ``found`` is False when the intent looked and found nothing ("nothing in the catalog matched"):
    the planner then tries the next plausible family before giving that answer.
    """

    text: str
    refs: list[str] = Field(default_factory=list)
    found: bool = True


Step = CallTools | Answer


@dataclass
class StepResult:
    """One tool call made earlier in this turn and what it returned (a ToolResult as a dict)."""

    name: str
    args: dict[str, Any]
    result: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.result.get("ok", False))

    @property
    def data(self) -> Any:
        return self.result.get("data")

    @property
    def error(self) -> str | None:
        return self.result.get("error")


@dataclass
class PlanState:
    """Everything an intent may look at while planning one turn."""

    utterance: str
    principal: Principal
    runtime: FamilyRuntime
    slots: dict[str, Any] = field(default_factory=dict)
    results: list[StepResult] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)  # refs the previous turns were about
    previous_intent: str | None = None  # the intent that answered the previous turn
    previous_question: str | None = None  # the user's previous question, as asked
    # Set by the router while an intent extracts: did one of the intent's patterns match? Lets an
    # extractor accept looser slots (an unknown name to search for) only when the ask is clear.
    pattern_hit: bool = False
    available_tools: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return self.utterance.lower()

    def result_of(self, tool: str) -> StepResult | None:
        """The most recent result of ``tool`` in this turn, if it was called."""
        for step in reversed(self.results):
            if step.name == tool:
                return step
        return None

    def results_of(self, tool: str) -> list[StepResult]:
        return [step for step in self.results if step.name == tool]


Extractor = Callable[[PlanState], dict[str, Any] | None]
Planner = Callable[[PlanState], Step]


@dataclass
class Intent:
    """One kind of ask the offline planner can handle.

    ``examples`` are real phrasings used for similarity routing; ``patterns`` are regular
    expressions that, when they match, make the intent a strong candidate. ``extract`` returns the
    slots, or ``None`` when the utterance lacks what the intent needs (the router then tries the
    next candidate). ``requires`` names the tools the intent plans with; an intent whose tools
    are not available (a family disabled, read-only mode) is not offered.

    ``defers_to`` names intents that take precedence when their patterns match too: "create a
    service owned by team-x" is a creation request, not a question about what team-x owns.
    ``falls_back_to`` names the families to try when the intent finds nothing: a name the catalog
    does not know may still be a topic the docs cover.
    ``needs_source`` is False for the few intents that work without their family's data (writing
    a new template needs no templates); the others are never planned while the family has no
    configured source, and asking for them gets the family's one line on how to configure it.
    ``recognise`` makes the intent a strong candidate besides its patterns, from what the family's
    data holds (a question naming a form field only the configured templates have).
    """

    name: str
    family: str
    summary: str
    examples: list[str]
    extract: Extractor
    plan: Planner
    patterns: list[str] = field(default_factory=list)
    requires: tuple[str, ...] = ()
    priority: float = 0.0  # small tie-breaker between equally similar intents
    defers_to: tuple[str, ...] = ()
    falls_back_to: tuple[str, ...] = ()
    needs_source: bool = True
    recognise: Callable[[str], bool] | None = None

    def __post_init__(self) -> None:
        self._compiled = [re.compile(p, re.IGNORECASE) for p in self.patterns]

    def pattern_hit(self, text: str) -> bool:
        return any(p.search(text) for p in self._compiled) or bool(self.recognise and self.recognise(text))
