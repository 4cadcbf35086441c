"""Compound questions: "which system is X in, and who owns that system?" asks two things.

A question is split where a new question starts after ", and", ";", "?" or "and" — only when it
opens as a question or a request itself, so that "checkout is slow, who do I page?" (a report, then
the question) and "who owns checkout and payments?" (one question about two entities) stay whole.
Whether the parts are then answered one by one is the planner's call: when every part goes to the
same intent, that intent answers the whole question as before.
"""

from __future__ import annotations

import re

MAX_PARTS = 3
# Words a question or a request starts with.
OPENS = (
    r"(?:who|whom|whose|what|which|where|when|why|how|is|are|was|were|does|do|did|can|could|will|would|"
    r"should|has|have|tell|show|list|describe|explain|give|find)(?:'s|s|'re)?"
)
QUESTION_START = re.compile(rf"^\s*{OPENS}\b", re.IGNORECASE)
# Where a second question may start: after ", and" / ";" / "?" / " and " (the joint is dropped).
JOINT = re.compile(
    rf"(?:\s*[,;]\s*(?:and\s+|also\s+|then\s+|plus\s+)?|\?\s*(?:and\s+|also\s+|then\s+)?|\s+and\s+(?:also\s+|then\s+)?)"
    rf"(?={OPENS}\b)",
    re.IGNORECASE,
)
MIN_WORDS = 2
# A last part shorter than this is a fragment of the question before it, not a question of its own:
# "Are we using any commitment discounts? What type?" asks one thing, "… ? who owns it?" two.
MIN_LAST_WORDS = 3


def split_question(utterance: str, opener: re.Pattern[str] | None = None) -> list[str]:
    """The questions in ``utterance``, in order; one part when it is a single question.

    ``opener`` strips words that carry no intent ("ok, thanks.") before deciding whether the
    utterance opens as a question; the first part keeps them.
    """
    head = opener.sub("", utterance) if opener is not None else utterance
    if not QUESTION_START.match(head):
        return [utterance]
    parts: list[str] = []
    start = 0
    for joint in JOINT.finditer(utterance):
        piece = utterance[start : joint.start()] + ("?" if "?" in joint.group(0) else "")
        if len(piece.split()) >= MIN_WORDS and len(parts) < MAX_PARTS - 1:
            parts.append(piece.strip())
            start = joint.end()
    rest = utterance[start:].strip()
    if parts and len(rest.split()) < MIN_LAST_WORDS:
        return [utterance]
    return [*parts, rest] if parts else [utterance]
