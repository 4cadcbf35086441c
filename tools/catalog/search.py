"""Filtered fuzzy search over the catalog, fast at 10,000 entities.

Comparing a query against every entity with a fuzzy scorer costs ~20 ms at that size, so the
query's words are first matched (exactly, by prefix, or within a small edit distance) against a
vocabulary of the words of names, titles, tags and descriptions; only entities holding one of
those words are scored, and only the best of them are re-ranked with rapidfuzz's ``WRatio``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from tools.catalog import relations as rel
from tools.catalog.mentions import KIND_PRIORITY, STOPWORDS, compact
from tools.catalog.model import Entity

_WORD_RE = re.compile(r"[a-z0-9]+")
FIELD_WEIGHTS = {"name": 1.0, "title": 0.95, "tag": 0.85, "description": 0.7, "kind": 0.6}
_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
DESCRIPTION_WORDS = 60


@dataclass
class _Row:
    entity: Entity
    kind: str
    type: str
    lifecycle: str
    owner: str
    systems: frozenset[str]
    tags: frozenset[str]
    label: str  # "name title" for the final WRatio re-ranking
    compact_name: str


def _words(text: str | None) -> list[str]:
    return _WORD_RE.findall((text or "").lower())


def _custom_kind_words(kind: str) -> list[str]:
    """The words of a kind Backstage does not define (``AiResource`` → ai, resource, airesource):
    such a kind says what an entity is ("what AI resources do we have?"), while the core kinds are
    on every other entity and are asked for with the ``kind`` filter, so they are not words."""
    if kind.lower() in KIND_PRIORITY:
        return []
    return [*(w.lower() for w in _CAMEL_RE.findall(kind)), kind.lower()]


class SearchIndex:
    def __init__(self, entities: Iterable[Entity]):
        self.rows: list[_Row] = []
        self.postings: dict[str, dict[int, float]] = {}
        plain_words: set[str] = set()
        for idx, entity in enumerate(entities):
            owners = entity.relation_targets(rel.OWNED_BY)
            systems = frozenset(
                t.lower() for t in entity.relation_targets(rel.PART_OF) if t.lower().startswith(("system:", "domain:"))
            )
            self.rows.append(
                _Row(
                    entity=entity,
                    kind=entity.kind_lower,
                    type=(entity.type or "").lower(),
                    lifecycle=(entity.lifecycle or "").lower(),
                    owner=owners[0].lower() if owners else "",
                    systems=systems,
                    tags=frozenset(t.lower() for t in entity.tags if isinstance(t, str)),
                    label=" ".join([entity.name.replace("-", " ").replace("_", " "), entity.display_name]),
                    compact_name=compact(entity.name),
                )
            )
            fields = (
                ("name", [*_words(entity.name), compact(entity.name)]),
                ("title", _words(entity.display_name)),
                ("tag", [w for t in entity.tags if isinstance(t, str) for w in _words(t)]),
                ("description", _words(entity.description)[:DESCRIPTION_WORDS]),
                ("kind", _custom_kind_words(entity.kind)),
            )
            plain_words.update(w for _, words in fields[1:] for w in words)
            plain_words.update(_words(entity.name))
            for field, words in fields:
                weight = FIELD_WEIGHTS[field]
                for word in words:
                    bucket = self.postings.setdefault(word, {})
                    if bucket.get(idx, 0.0) < weight:
                        bucket[idx] = weight
        self.vocab = sorted(self.postings)
        # Typo matching compares against plain words only: joined names ("ordersdb") are many,
        # long, and already matched exactly through ``by_compact``.
        self.fuzzy_vocab = sorted(w for w in plain_words if len(w) >= 3)
        self.by_compact: dict[str, list[int]] = {}
        for idx, row in enumerate(self.rows):
            self.by_compact.setdefault(row.compact_name, []).append(idx)
        # Filter indexes, each list in listing order (kind, then name), so that a filter-only
        # search walks the most selective list and stops at ``limit``.
        self.order = sorted(
            range(len(self.rows)), key=lambda i: (_kind_rank(self.rows[i].kind), self.rows[i].entity.name)
        )
        self.by_kind: dict[str, list[int]] = {}
        self.by_owner: dict[str, list[int]] = {}
        self.by_system: dict[str, list[int]] = {}
        self.by_tag: dict[str, list[int]] = {}
        for idx in self.order:
            row = self.rows[idx]
            self.by_kind.setdefault(row.kind, []).append(idx)
            if row.owner:
                self.by_owner.setdefault(row.owner, []).append(idx)
            for system in row.systems:
                self.by_system.setdefault(system, []).append(idx)
            for tag in row.tags:
                self.by_tag.setdefault(tag, []).append(idx)

    # -------------------------------------------------------------------------------------------
    def _matching_words(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary words matching a query token, with a similarity in [0, 1]."""
        out: dict[str, float] = {}
        if token in self.postings:
            out[token] = 1.0
        if len(token) >= 3:
            i = bisect.bisect_left(self.vocab, token)
            while i < len(self.vocab) and self.vocab[i].startswith(token) and len(out) < 50:
                out.setdefault(self.vocab[i], 0.85)
                i += 1
        if len(token) >= 4:
            for word, score, _ in process.extract(token, self.fuzzy_vocab, scorer=fuzz.ratio, score_cutoff=80, limit=8):
                out.setdefault(word, 0.9 * score / 100.0)
        return list(out.items())

    def _candidates(
        self, kind: str | None, owner_key: str | None, system_keys: set[str] | None, tag: str | None
    ) -> list[int]:
        """The smallest index list among the given filters (all rows when there is none)."""
        lists = [
            index.get(value, [])
            for index, value in ((self.by_kind, kind), (self.by_owner, owner_key), (self.by_tag, tag))
            if value
        ]
        if system_keys:
            merged = {i for key in system_keys for i in self.by_system.get(key, ())}
            lists.append([i for i in self.order if i in merged] if len(merged) < len(self.order) else self.order)
        return min(lists, key=len) if lists else self.order

    def _accepts(self, row: _Row, kind, type_, lifecycle, owner_key, system_keys, tag) -> bool:
        return not (
            (kind and row.kind != kind)
            or (type_ and row.type != type_)
            or (lifecycle and row.lifecycle != lifecycle)
            or (owner_key and row.owner != owner_key)
            or (system_keys and not (system_keys & row.systems))
            or (tag and tag not in row.tags)
        )

    def search(
        self,
        query: str | None = None,
        kind: str | None = None,
        type_: str | None = None,
        lifecycle: str | None = None,
        owner_key: str | None = None,
        system_keys: set[str] | None = None,
        tag: str | None = None,
        limit: int = 20,
    ) -> list[tuple[Entity, float]]:
        kind, type_, lifecycle, tag = (v.lower() if v else None for v in (kind, type_, lifecycle, tag))
        filters = (kind, type_, lifecycle, owner_key, system_keys, tag)
        limit = max(1, min(int(limit or 20), 500))
        tokens = [t for t in _words(query) if t not in STOPWORDS] or _words(query)
        if not tokens:
            out: list[tuple[Entity, float]] = []
            for idx in self._candidates(kind, owner_key, system_keys, tag):
                row = self.rows[idx]
                if self._accepts(row, *filters):
                    out.append((row.entity, 100.0))
                    if len(out) >= limit:
                        break
            return out

        scores: dict[int, float] = {}
        for token in tokens:
            best: dict[int, float] = {}
            for word, similarity in self._matching_words(token):
                for idx, weight in self.postings[word].items():
                    value = weight * similarity
                    if value > best.get(idx, 0.0):
                        best[idx] = value
            for idx, value in best.items():
                scores[idx] = scores.get(idx, 0.0) + value
        query_compact = compact(query or "")
        for idx in self.by_compact.get(query_compact, ()):
            scores[idx] = float(len(tokens))
        ranked: list[tuple[float, int]] = []
        for idx, total in scores.items():
            row = self.rows[idx]
            if not self._accepts(row, *filters):
                continue
            ranked.append((100.0 * total / len(tokens), idx))
        ranked.sort(key=lambda x: -x[0])
        out = []
        q = (query or "").lower()
        for base, idx in ranked[: limit * 3]:
            row = self.rows[idx]
            if row.compact_name == query_compact:
                score = 100.0
            else:
                score = min(99.0, 0.6 * base + 0.4 * fuzz.WRatio(q, row.label.lower()))
            out.append((row.entity, round(score, 1)))
        out.sort(key=lambda x: (-x[1], _kind_rank(x[0].kind_lower), x[0].name))
        return out[:limit]


def _kind_rank(kind: str) -> int:
    return KIND_PRIORITY.index(kind) if kind in KIND_PRIORITY else len(KIND_PRIORITY)
