"""Follow-ups that point at an entity of the last answer by a word: "and the gateway one?".

After an answer that listed several entities, people pick one with a word from its name ("the
gateway one", "the model"), or one that describes it ("the deprecated one", "the async one").
The words are matched against the entities that answer showed, by name first, then by lifecycle,
type, tags, title and description; when exactly one entity fits, the phrase is replaced by its
name (its ref when the bare name would mean another entity), so the rest of the planner sees an
ordinary mention. No fit, or several, leaves the question as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Entity refs as answers print them: kind:namespace/name.
SHOWN_REF = re.compile(r"\b([a-z][a-z0-9]*):([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9_.-]*[a-z0-9])", re.IGNORECASE)
# "the gateway one", "that payments one", "this orders db one" (up to three words).
ONE = re.compile(r"\b(?:the|that|this)\s+((?:[a-z0-9][\w-]*\s+){0,2}[a-z0-9][\w-]*)\s+one\b", re.IGNORECASE)
# "the model?" at the end of a clause: one word, matched by name only.
BARE = re.compile(r"\b(?:the|that|this)\s+([a-z0-9][\w-]*)(?=\s*(?:[?.!,;]|$))", re.IGNORECASE)
NOT_NAMES = frozenset(
    {
        "other",
        "same",
        "first",
        "second",
        "third",
        "last",
        "next",
        "previous",
        "new",
        "old",
        "right",
        "one",
        "team",
        "group",
        "service",
        "component",
        "api",
        "system",
        "domain",
        "resource",
        "user",
        "person",
        "thing",
        "list",
        "answer",
    }
)
WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Shown:
    """An entity the last answer showed, with the words someone might point at it with."""

    ref: str
    write_as: str  # what replaces the phrase: its name, or its ref if the name means another entity
    name_words: set[str] = field(default_factory=set)
    other_words: set[str] = field(default_factory=set)  # lifecycle, type, tags, title, description


def shown_refs(answer: str) -> list[str]:
    """The entity refs an answer showed, first appearance first."""
    return list(dict.fromkeys(match.group(0) for match in SHOWN_REF.finditer(answer or "")))


def describe_shown(refs: list[str], catalog) -> list[Shown]:
    """:class:`Shown` for each ref the catalog knows."""
    out = []
    for ref in refs:
        entity = catalog.get(ref)
        if entity is None:
            continue
        same = catalog.get(entity.name)
        spec = entity.spec or {}
        described = " ".join(
            str(part or "")
            for part in (spec.get("lifecycle"), spec.get("type"), entity.metadata.title, entity.metadata.description)
        )
        out.append(
            Shown(
                ref=entity.ref,
                write_as=entity.name if same is not None and same.ref == entity.ref else entity.ref,
                name_words=_words(entity.name),
                other_words=_words(described) | {w for tag in entity.metadata.tags for w in _words(tag)},
            )
        )
    return out


def resolve_partial_names(utterance: str, shown: list[Shown]) -> str:
    """``utterance`` with each phrase that fits exactly one shown entity replaced by its name."""
    if not shown:
        return utterance
    resolved = ONE.sub(_replacer(shown, by_description=True), utterance)
    return BARE.sub(_replacer(shown, by_description=False), resolved)


def _replacer(shown: list[Shown], by_description: bool) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        words = [_singular(w) for w in WORD.findall(match.group(1).lower())]
        if not words or any(w in NOT_NAMES for w in words):
            return match.group(0)
        fits = [s for s in shown if all(w in s.name_words for w in words)]
        if not fits and by_description:
            fits = [s for s in shown if all(w in s.name_words or _describes(w, s.other_words) for w in words)]
        if len(fits) > 1:  # the answer's subject comes first; "the X one" picks from what it listed
            fits = [s for s in fits if s is not shown[0]]
        return fits[0].write_as if len(fits) == 1 else match.group(0)

    return replace


def _describes(word: str, words: set[str]) -> bool:
    """``word`` is one of ``words``, or starts one ("async" → asyncapi) when long enough to mean it."""
    return word in words or (len(word) >= 4 and any(w.startswith(word) for w in words))


def _words(text: str) -> set[str]:
    return {_singular(w) for w in WORD.findall((text or "").lower())}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
