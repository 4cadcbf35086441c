"""Follow-ups that point at an entity of the last answer: "the gateway one", "that team", "nora's".

After an answer that listed entities, people pick one with a few words: from its name ("the
gateway one", "the ui kit"), describing it ("the deprecated one", "the postgres db", "the kafka
one"), by its kind ("that system", "that team"), or a person by first name ("nora's team"). The
words are matched against the entities that answer showed — by name first, then by lifecycle,
type, tags, title and description — and when exactly one fits, the phrase is replaced by its name
(its ref when the bare name would mean another entity), so the rest of the planner sees an
ordinary mention. No fit, or several, leaves the question as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

# Entity refs as answers print them: kind:namespace/name.
SHOWN_REF = re.compile(r"\b([a-z][a-z0-9]*):([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9_.-]*[a-z0-9])", re.IGNORECASE)
TOKEN = re.compile(r"[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9]+")
DETERMINERS = frozenset({"the", "that", "this", "teh"})
# Nouns that only say "an entity": "the kafka one", "the churn thing".
GENERIC_HEADS = frozenset({"one", "thing", "stuff", "piece", "bit"})
# "that team" / "that system": the first shown entity of that kind.
KIND_NOUNS = {
    "team": "group",
    "group": "group",
    "squad": "group",
    "department": "group",
    "system": "system",
    "platform": "system",
    "domain": "domain",
}
# Words that point by position or are too vague to name anything.
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
        "whole",
        "entire",
        "owner",
        "answer",
        "list",
        "person",
        "user",
        "people",
    }
)
MAX_WORDS = 3
# What may follow a phrase that ends without "one": "the postgres db went down", "the model is".
FOLLOWERS = frozenset(
    [
        "is",
        "was",
        "are",
        "were",
        "went",
        "goes",
        "go",
        "going",
        "gets",
        "got",
        "has",
        "have",
        "had",
        "and",
        "or",
        "but",
        "for",
        "in",
        "on",
        "at",
        "to",
        "from",
        "with",
        "that",
        "which",
        "who",
        "if",
        "when",
        "used",
        "still",
        "too",
        "also",
        "again",
        "now",
        "yet",
        "please",
        "pls",
    ]
)
PRONOUN = re.compile(r"\b(it|its)\b", re.IGNORECASE)


@dataclass
class Shown:
    """An entity the last answer showed, with the words someone might point at it with."""

    ref: str
    write_as: str  # what replaces the phrase: its name, or its ref if the name means another entity
    name_words: set[str] = field(default_factory=set)
    property_words: set[str] = field(default_factory=set)  # lifecycle, type
    tag_words: set[str] = field(default_factory=set)
    described_words: set[str] = field(default_factory=set)  # title, description

    @property
    def kind(self) -> str:
        return self.ref.split(":", 1)[0].lower()


def shown_refs(answer: str) -> list[str]:
    """The entity refs an answer showed, first appearance first."""
    return list(dict.fromkeys(match.group(0) for match in SHOWN_REF.finditer(answer or "")))


@lru_cache(maxsize=64)
def shown_in(answer: str, catalog) -> tuple[Shown, ...]:
    """The entities an answer showed. Cached: every step of a turn plans again from the same answer."""
    return tuple(describe_shown(shown_refs(answer), catalog))


def describe_shown(refs: list[str], catalog) -> list[Shown]:
    """:class:`Shown` for each ref the catalog knows."""
    out = []
    for ref in refs:
        entity = catalog.get(ref)
        if entity is None:
            continue
        same = catalog.get(entity.name)
        spec = entity.spec or {}
        out.append(
            Shown(
                ref=entity.ref,
                write_as=entity.name if same is not None and same.ref == entity.ref else entity.ref,
                name_words=_words(entity.name),
                property_words=_words(f"{spec.get('lifecycle') or ''} {spec.get('type') or ''}"),
                tag_words=_words(" ".join(entity.metadata.tags)),
                described_words=_words(f"{entity.metadata.title or ''} {entity.metadata.description or ''}"),
            )
        )
    return out


def resolve_partial_names(utterance: str, shown: Sequence[Shown]) -> str:
    """``utterance`` with each phrase that fits exactly one shown entity replaced by its name."""
    if not shown:
        return utterance
    tokens = list(TOKEN.finditer(utterance))
    replacements: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        found = _at(tokens, i, shown, utterance)
        if found is None:
            i += 1
            continue
        end_index, start, end, write_as = found
        replacements.append((start, end, write_as))
        i = end_index
    for start, end, write_as in reversed(replacements):
        utterance = utterance[:start] + write_as + utterance[end:]
    return utterance


def _at(tokens: list[re.Match[str]], i: int, shown: Sequence[Shown], text: str) -> tuple[int, int, int, str] | None:
    """(next token index, start, end, replacement) for a phrase starting at token ``i``, or None."""
    word = tokens[i].group(0).lower()
    if word in DETERMINERS:
        for length in range(MAX_WORDS, 0, -1):
            span = tokens[i + 1 : i + 1 + length]
            if len(span) < length:
                continue
            after = tokens[i + 1 + length] if i + 1 + length < len(tokens) else None
            ends = (
                after is None
                or after.group(0).lower() in FOLLOWERS
                or bool(re.match(r"\s*[?.!,;:)]", text[span[-1].end() :]))
            )
            words = [t.group(0).lower() for t in span]
            target = _fit(words, shown, ends, refers_elsewhere=bool(PRONOUN.search(text)))
            if target is not None:
                # "that system" → "site-search system": the kind stays for the rules that look for it
                kind = f" {words[0]}" if length == 1 and words[0] in KIND_NOUNS else ""
                return i + 1 + length, tokens[i].start(), span[-1].end(), target.write_as + kind
    first_name = _person(word, shown) if text[tokens[i].end() : tokens[i].end() + 2] in ("'s", "’s") else None
    if first_name is not None:
        return i + 1, tokens[i].start(), tokens[i].end(), first_name.write_as
    return None


def _fit(span: list[str], shown: Sequence[Shown], ends: bool, refers_elsewhere: bool) -> Shown | None:
    """The one shown entity these words point at, or None.

    ``ends``: the phrase ends the noun phrase (punctuation or a verb follows), so its words are all
    of the name; without "one" only such phrases are tried. A single word matches by description
    only before "one"/"thing" ("the model" must be in a name; "the deprecated one" need not).
    ``refers_elsewhere``: the question also says "it", so "that team" is likely its owner, not a
    listed team.
    """
    words = [_singular(w) for token in span for w in WORD.findall(token)]
    head_is_generic = bool(words) and words[-1] in GENERIC_HEADS
    if head_is_generic:
        words = words[:-1]
    if not words or any(w in NOT_NAMES or w in GENERIC_HEADS for w in words):
        return None
    if len(words) == 1 and words[0] in KIND_NOUNS and not head_is_generic:
        of_kind = [s for s in shown if s.kind == KIND_NOUNS[words[0]]]
        return of_kind[0] if of_kind and not refers_elsewhere else None
    if not (ends or head_is_generic):
        return None
    tiers = [lambda s, w: w in s.name_words]
    if head_is_generic:  # "the recs one": a name's start
        tiers.append(lambda s, w: any(n.startswith(w) for n in s.name_words) if len(w) >= 3 else w in s.name_words)
    if head_is_generic or len(words) > 1:  # then type and lifecycle ("the grpc one"), tags, descriptions
        tiers.append(lambda s, w: w in s.name_words or _describes(w, s.property_words))
        tiers.append(lambda s, w: w in s.name_words or _describes(w, s.property_words | s.tag_words))
        tiers.append(
            lambda s, w: w in s.name_words or _describes(w, s.property_words | s.tag_words | s.described_words)
        )
    for number, matches in enumerate(tiers):
        # Without "one", a phrase's last word names the thing: it must be in a name or a property
        # ("the postgres db"), not only in a description ("that team own" is no phrase).
        if number == len(tiers) - 1 and number > 0 and not head_is_generic:
            last = words[-1]
            if last not in set().union(*(s.name_words | s.property_words | s.tag_words for s in shown)):
                return None
        fits = [s for s in shown if all(matches(s, w) for w in words)]
        if len(fits) > 1:  # the answer's subject comes first; "the X one" picks from what it listed
            fits = [s for s in fits if s is not shown[0]]
        if fits:
            return fits[0] if len(fits) == 1 else None
    return None


def _person(word: str, shown: Sequence[Shown]) -> Shown | None:
    """ "nora's team": the one shown user whose name starts with this first name."""
    people = [s for s in shown if s.kind == "user" and s.ref.rsplit("/", 1)[-1].split(".")[0].lower() == word]
    return people[0] if len(people) == 1 else None


def _describes(word: str, words: set[str]) -> bool:
    """``word`` is one of ``words``, or starts one ("async" → asyncapi) when long enough to mean it."""
    return word in words or (len(word) >= 4 and any(w.startswith(word) for w in words))


def _words(text: str) -> set[str]:
    return {_singular(w) for w in WORD.findall((text or "").lower())}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
