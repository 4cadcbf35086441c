"""Which of the entities a name could mean fits the question: "the elasticsearch-py integration
tests" is the Buildkite pipeline Resource of that name, not the Component; "the apm-server
packaging pipeline" is ``buildkite-pipeline-apm-server-package``, named after apm-server.

Real catalogs register one thing under several entities: a repository's Component, the
Resources for its CI pipelines (same name, or the name with a prefix), its API. The mention index
finds the name; the question's other words (``pipeline``, ``packaging``, ``slack channel``) say
which of them is meant. An entity is scored by how many of those words its name, type,
description and fields carry (its name, kind and type counting twice), and another one is only
preferred when it scores clearly more.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.catalog.fields import detail_words, entity_fields

if TYPE_CHECKING:
    from tools.catalog.model import Entity
    from tools.catalog.store import CatalogStore

MAX_NAMESAKES = 8  # shown in an answer
MAX_SCANNED = 60  # more entities than this holding the name: it is a common word, not a namesake
MIN_NAME_CHARS = 3  # "go" or "ui" inside a longer name is not a namesake
MIN_SCORE = 2  # the other entity must carry at least this many of the question's words…
MIN_MARGIN = 2  # …and this many more than the one the name found
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str | None) -> set[str]:
    return set(_WORD.findall(_CAMEL.sub(" ", text or "").lower()))


def _stems(words: set[str]) -> set[str]:
    """Words and their plain stems, so "packaging" meets "package" and "pipelines" "pipeline"."""
    out = set(words)
    for word in words:
        for suffix in ("ing", "es", "s", "ed"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                stem = word[: -len(suffix)]
                out |= {stem, stem + "e"}
    return out


def entity_words(entity: Entity) -> set[str]:
    """Every word an entity's name, title, kind, type, description, tags and fields carry."""
    words = _words(entity.name) | _words(entity.title) | _words(entity.kind) | _words(entity.type)
    words |= _words(entity.description) | set().union(*(_words(t) for t in entity.tags))
    for field in entity_fields(entity):
        if field["path"].startswith("annotation backstage.io/managed-by"):
            continue  # where it was read from says nothing about it
        words |= _words(field["path"]) | _words(field["value"])
    return _stems(words)


def score(entity: Entity, asked: set[str]) -> int:
    """Question words the entity carries; those in its name, kind or type count twice, since they
    say what the entity is (a "pipeline" asked for, ``buildkite-pipeline-ecs``)."""
    naming = _stems(_words(entity.name) | _words(entity.kind) | _words(entity.type))
    return len(asked & entity_words(entity)) + len(asked & naming)


def namesakes(store: CatalogStore, entity: Entity) -> list[Entity]:
    """Entities whose name or title holds this one's name as whole words
    (``buildkite-pipeline-ecs`` for ``ecs``); none when so many do that it is a common word."""
    name = entity.name.lower()
    if len(name) < MIN_NAME_CHARS and "-" not in name:
        return []
    pattern = re.compile(rf"(^|[-_.]){re.escape(name)}($|[-_.])")
    titled = re.compile(rf"(^|\W){re.escape(name)}($|\W)")  # "Verseghy Website GraphQL API"
    out = [
        other
        for other in store.all()
        if other.key != entity.key
        and other.kind_lower != "location"
        and (pattern.search(other.name.lower()) or titled.search((other.title or "").lower()))
    ]
    return out if len(out) <= MAX_SCANNED else []


def asked_words(question: str, mention_texts: list[str]) -> set[str]:
    """The question's words about a detail, without the words of the name itself."""
    return _stems(detail_words(question, mention_texts))


def best_fit(store: CatalogStore, ref: str, alternatives: list[str], question: str, mention: str) -> str | None:
    """Another entity the question means rather than ``ref``, or None to keep ``ref``."""
    entity = store.get(ref)
    if entity is None:
        return None
    asked = asked_words(question, [mention, entity.name])
    if len(asked) < MIN_SCORE:
        return None
    candidates = [e for e in (store.get(r) for r in alternatives) if e is not None] + namesakes(store, entity)
    if not candidates:
        return None
    base = score(entity, asked)
    best = max(candidates, key=lambda e: score(e, asked))
    best_score = score(best, asked)
    if best_score >= MIN_SCORE and best_score >= base + MIN_MARGIN:
        return best.ref
    return None


def asked_namesakes(store: CatalogStore, ref: str, question: str, mention: str) -> list[Entity]:
    """The namesakes of ``ref`` the question asks about ("what Buildkite pipelines are registered
    for it"): those that carry at least MIN_SCORE of its detail words."""
    entity = store.get(ref)
    if entity is None:
        return []
    asked = asked_words(question, [mention, entity.name])
    if len(asked) < MIN_SCORE:
        return []
    scored = [(score(e, asked), e) for e in namesakes(store, entity)]
    scored = [pair for pair in scored if pair[0] >= MIN_SCORE]
    scored.sort(key=lambda pair: -pair[0])
    return [e for _, e in scored[:MAX_NAMESAKES]]
