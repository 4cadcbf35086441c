"""Follow-ups that point at an entity by a word of its name: "and the gateway one?".

After an answer that listed several entities, people pick one with a word from its name. That word
is matched against the refs the previous answer showed; when exactly one entity fits, the phrase
is replaced by its ref before routing, so the rest of the planner sees an ordinary mention. No fit,
or several, leaves the question as it was (the catalog search then says what it matched).
"""

from __future__ import annotations

import re

# Entity refs as answers print them: kind:namespace/name.
SHOWN_REF = re.compile(r"\b([a-z][a-z0-9]*):([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9_.-]*[a-z0-9])", re.IGNORECASE)
# "the gateway one", "that payments one", "this orders db one" (up to three words).
ONE = re.compile(r"\b(?:the|that|this)\s+((?:[a-z0-9][\w-]*\s+){0,2}[a-z0-9][\w-]*)\s+one\b", re.IGNORECASE)
NOT_NAMES = frozenset({"other", "same", "first", "second", "third", "last", "next", "previous", "new", "old", "right"})


def shown_refs(answer: str) -> list[str]:
    """The entity refs an answer showed, first appearance first."""
    return list(dict.fromkeys(match.group(0) for match in SHOWN_REF.finditer(answer or "")))


def resolve_partial_names(utterance: str, shown: list[str]) -> str:
    """``utterance`` with each "the <words> one" that fits exactly one shown entity replaced by its ref."""
    if not shown or " one" not in utterance.lower():
        return utterance

    def replace(match: re.Match[str]) -> str:
        words = [_singular(w) for w in re.split(r"[\s_-]+", match.group(1).lower()) if w]
        if not words or any(w in NOT_NAMES for w in words):
            return match.group(0)
        fits = [ref for ref in shown if all(w in _name_words(ref) for w in words)]
        return fits[0] if len(fits) == 1 else match.group(0)

    return ONE.sub(replace, utterance)


def _name_words(ref: str) -> set[str]:
    name = ref.rsplit("/", 1)[-1].lower()
    return {_singular(w) for w in re.split(r"[-_.]+", name) if w}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
