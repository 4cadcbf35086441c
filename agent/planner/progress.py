"""Where a turn of the offline planner is: which part of a compound question, which attempt at it,
and what the finished parts answered.

The planner is stateless (each call rebuilds the turn from the messages), so this travels in the
AI messages' ``additional_kwargs["planner"]["progress"]``. Every intent that starts — the next
part, or another family tried after one found nothing — gets a new ``stage``; an intent sees only
the tool results of its own stage, so a second "who owns …" part never reads the first's result.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from contract.intents import Answer


class PartAnswer(BaseModel):
    text: str
    refs: list[str] = Field(default_factory=list)
    intent: str | None = None


class Progress(BaseModel):
    parts: list[str]
    part: int = 0
    stage: int = 0
    tried: list[str] = Field(default_factory=list)  # families that found nothing for this part
    instead_of: str | None = None  # the family with no source this part was asked of (see Route)
    missed: list[PartAnswer] = Field(default_factory=list)  # what they answered
    done: list[PartAnswer] = Field(default_factory=list)  # the finished parts
    # The intent a compound question goes to whole: its first part's, when all parts are of one family
    # whose one answer serves every part (routed whole, the words of all parts could pick another).
    pinned: str | None = None

    @classmethod
    def of(cls, meta: dict[str, Any] | None, question: str) -> Progress | None:
        """The progress recorded in a planner message, or None when there is none."""
        if meta is None:
            return None
        if "progress" in meta:
            return cls.model_validate(meta["progress"])
        return cls(parts=[question])  # a turn planned before parts existed: one part, one stage

    @property
    def question(self) -> str:
        return self.parts[self.part]

    @property
    def last(self) -> bool:
        return self.part + 1 >= len(self.parts)

    def missed_nothing(self, family: str, answer: Answer, intent: str) -> None:
        """This part's intent found nothing; another family will be tried at a new stage."""
        self.tried.append(family)
        self.missed.append(PartAnswer(text=answer.text, intent=intent))
        self.stage += 1

    def finish_part(self, answer: Answer, intent: str | None) -> None:
        """Record this part's answer (after what the families that found nothing said) and move on.

        What was not found is no subject for the next part ("… and who is on call for it?"), and
        an answer the turn already gave is not repeated.
        """
        texts = [m.text for m in self.missed] + [answer.text]
        refs = answer.refs if answer.found else []
        finished = PartAnswer(text="\n\n".join(texts), refs=refs, intent=intent)
        if all(part.text != finished.text for part in self.done):
            self.done.append(finished)
        self.part += 1
        self.stage += 1
        self.tried, self.missed, self.instead_of = [], [], None
        return finished

    def answer(self) -> Answer:
        """The whole turn's answer: every part's, in order. The last part's refs come first: a
        follow-up's "it" means what was asked about last."""
        refs = [r for part in reversed(self.done) for r in part.refs]
        return Answer(
            text="\n\n".join(_without_repeats([part.text for part in self.done])), refs=list(dict.fromkeys(refs))
        )


def _without_repeats(texts: list[str]) -> list[str]:
    """The parts' answers, each paragraph said once: two parts about one entity ("which teams have
    access to X, and what access does Y get?") are often answered by the same description."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        paragraphs = [p for p in text.split("\n\n") if _key(p) not in seen or not p.strip()]
        seen.update(_key(p) for p in paragraphs)
        if any(p.strip() for p in paragraphs):
            out.append("\n\n".join(paragraphs))
    return out


def _key(paragraph: str) -> str:
    """A paragraph compared without its trailing note on why an entity was chosen ("(the question's
    words fit …)"), which only the first part's answer carries."""
    return re.sub(r"\s*\(the question's words fit [^)]*\)\s*$", "", " ".join(paragraph.split()))
