"""An optional LLM judge for free-text answers, reported apart from the deterministic scorers.

Substring facts are strict: "two members may fail" fails a case that expects "quorum". A judge
model reads the question, the expected facts and the answer, and says whether the answer states
them (or says honestly that it cannot answer). Its verdicts are a second opinion shown beside the
scores, never a replacement for them: a judge can be wrong, the scorers are reproducible.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError

from evals.scorers import Expectation

Verdict = Literal["correct", "incorrect", "abstained", "unjudged"]

INSTRUCTIONS = """You grade answers of an internal developer portal assistant.
Given a question, the facts a correct answer must state, facts it must not state, and the answer,
reply with one JSON object only: {"verdict": "correct" | "incorrect" | "abstained", "reason": "<one sentence>"}.
- correct: the answer states every expected fact (any wording) and none of the forbidden ones.
- abstained: the answer says it cannot answer or found nothing, and asserts nothing false.
- incorrect: anything else (a wrong, missing or invented fact)."""


class Judgement(BaseModel):
    verdict: Verdict
    reason: str = ""


class Judge:
    def __init__(self, model: BaseChatModel):
        self.model = model

    def grade(self, question: str, expect: Expectation, answer: str) -> Judgement:
        facts = expect.facts + ([f"one of: {' | '.join(expect.any_facts)}"] if expect.any_facts else [])
        prompt = (
            f"Question: {question}\nExpected facts: {json.dumps(facts)}\n"
            f"Forbidden facts: {json.dumps(expect.not_facts)}\nAnswer:\n{answer}"
        )
        try:
            reply = self.model.invoke([SystemMessage(content=INSTRUCTIONS), HumanMessage(content=prompt)])
        except Exception as exc:  # a judge that fails leaves the case unjudged; the scores stand
            return Judgement(verdict="unjudged", reason=f"{type(exc).__name__}: {exc}")
        return parse_judgement(str(reply.content))


def parse_judgement(text: str) -> Judgement:
    match = re.search(r"\{.*\}", text, re.S)
    try:
        return Judgement.model_validate_json(match.group(0)) if match else Judgement(verdict="unjudged")
    except ValidationError:
        return Judgement(verdict="unjudged", reason=f"unreadable verdict: {text[:120]}")


def judge_from_spec(spec: str, base_url: str | None, api_key: str | None, timeout: float = 60.0) -> Judge:
    """``openai:<model>`` or ``openai-compatible:<model>`` (with ``base_url``), as for the agent's model."""
    from langchain_openai import ChatOpenAI

    provider, _, name = spec.partition(":")
    if provider not in ("openai", "openai-compatible") or not name:
        raise ValueError(f"--judge {spec!r}: expected openai:<model> or openai-compatible:<model>")
    if provider == "openai-compatible" and not base_url:
        raise ValueError("an openai-compatible judge needs PORTAL_AGENT_MODEL_BASE_URL (or --judge-base-url)")
    return Judge(ChatOpenAI(model=name, base_url=base_url, api_key=api_key or "not-needed", timeout=timeout))
