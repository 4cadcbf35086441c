"""The loaded runbooks: lookup by name (forgiving: case, dashes, typos) and fuzzy search.

Search is lexical on purpose: runbooks are few (tens to a few hundred) and people name them by
their title, their alert ("KubePodCrashLooping") or the symptom ("crash looping", "high latency",
"out of memory"), which fuzzy matching over names, titles, alerts and keywords handles without a
model. The entity an ask is about ranks the runbooks that apply to it first.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from tools.runbooks.model import LoadProblem, Runbook

WORD_RE = re.compile(r"[a-z0-9]+")
_STOPWORDS_TEXT = (
    "a an the is are of to for in on at by it its this that please can could would you me i we our us do does "
    "did show give tell which what whats what's where how runbook runbooks playbook playbooks procedure "
    "procedures there any with when about should use run follow find list all"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
MIN_SCORE = 55.0
RARE_SCALE, RARE_BODY_SHARE = 85.0, 0.7
RARE_MIN, RARE_LEAD = 50.0, 1.5


def compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def words(text: str) -> list[str]:
    return [w for w in WORD_RE.findall(text.lower()) if w not in STOPWORDS]


@dataclass
class Hit:
    runbook: Runbook
    score: float
    why: str
    applies: str | None = None  # how it applies to the entity asked about: ref, system, tag…


@dataclass
class RunbookLibrary:
    runbooks: dict[str, Runbook] = field(default_factory=dict)  # key: name lower-cased
    problems: list[LoadProblem] = field(default_factory=list)
    _indexes: dict[str, _Index] = field(default_factory=dict, repr=False)
    # Section-frequency weights for extractive answers (tools/runbooks/answers.py), built on first use.
    answer_idf: dict[str, float] | None = field(default=None, repr=False)
    word_df: dict[str, int] | None = field(default=None, repr=False)  # runbooks per word stem

    @classmethod
    def build(cls, runbooks: list[Runbook], problems: list[LoadProblem]) -> RunbookLibrary:
        """Index by name; of two runbooks with one name, a ``.md`` file wins over an extension-less one."""
        out: dict[str, Runbook] = {}
        problems = list(problems)
        ranked = sorted(runbooks, key=lambda r: (not r.path.endswith((".md", ".markdown")), r.path))
        for runbook in ranked:
            key = runbook.name.lower()
            if key in out:
                problems.append(
                    LoadProblem(
                        path=runbook.path,
                        reason=f"duplicate runbook name {runbook.name!r} (already loaded from {out[key].path}); "
                        "not loaded",
                    )
                )
                continue
            out[key] = runbook
        return cls(dict(sorted(out.items())), problems)

    def __len__(self) -> int:
        return len(self.runbooks)

    def all(self) -> list[Runbook]:
        return list(self.runbooks.values())

    # --- lookup --------------------------------------------------------------------------------
    def get(self, name: str) -> Runbook | None:
        """By exact name, then by name/title/alert ignoring case and punctuation, then fuzzily."""
        if not name:
            return None
        key = name.strip().lower()
        key = re.sub(r"\s+runbook$", "", key)
        if key in self.runbooks:
            return self.runbooks[key]
        wanted = compact(key)
        for runbook in self.runbooks.values():
            if wanted in {compact(runbook.name), compact(runbook.title), *(compact(a) for a in runbook.alerts)}:
                return runbook
        best = max(
            ((fuzz.ratio(wanted, compact(r.name)), r) for r in self.runbooks.values()),
            key=lambda pair: pair[0],
            default=(0.0, None),
        )
        return best[1] if best[0] >= 85 else None

    def _index(self, runbook: Runbook) -> _Index:
        key = runbook.name.lower()
        if key not in self._indexes:
            self._indexes[key] = _Index.of(runbook)
        return self._indexes[key]

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        return [hit.runbook.name for hit in self.search(name, limit=limit)]

    # --- search --------------------------------------------------------------------------------
    def search(self, query: str | None, entity: Any = None, limit: int = 5) -> list[Hit]:
        """Runbooks for a query (title, alert, symptom) and/or an entity (a catalog Entity or a name)."""
        query = (query or "").strip()
        hits: list[Hit] = []
        for runbook in self.runbooks.values():
            score, why = _text_score(self._index(runbook), query) if query else (0.0, "")
            applies = applies_to(runbook, entity) if entity is not None else None
            if entity is not None:
                if applies and query:
                    score = score + 25.0 if score >= 40.0 else score  # a boost, not a match on its own
                    why = f"{why}; applies to it ({applies})" if why else f"applies to it ({applies})"
                elif applies:
                    score = 60.0 + APPLY_RANK[applies] * 10
                    why = f"applies to it ({applies})"
                elif runbook.applies_to and query:
                    score -= 15.0  # written for other entities
            elif not query:
                score, why = 60.0, "listed"
            if score >= MIN_SCORE:
                hits.append(Hit(runbook, round(min(score, 100.0), 1), why, applies))
        if not hits and query:  # nothing by name, title or most words: the one runbook its rare words point to
            hits = self._by_rare_words(query)
        hits.sort(key=lambda h: (-h.score, h.runbook.name))
        return hits[:limit]

    def _by_rare_words(self, query: str) -> list[Hit]:
        """The runbook whose text holds the query's rarest words, when it clearly beats every other.

        "Conntrack table close to the limit on one node" names no alert, and most of its words are
        everywhere; "conntrack" is in one runbook. Each word counts by how few runbooks use it (a
        word no runbook uses counts as the least rare known word, so chatter does not sink a match);
        a word in the name or title counts in full, one in the text a little less. Unless most words
        are known and the best runbook scores ``RARE_MIN`` and ``RARE_LEAD`` times the next, there is
        no match: a guess is worse than "no runbook matches".
        """
        terms = words(split_camel(query))
        df = self._document_frequency()
        known = [t for t in terms if df.get(stem(t))]
        if not known or 2 * len(known) < len(terms):
            return []
        weight = {t: math.log(1 + len(self.runbooks) / df[stem(t)]) for t in known}
        total = sum(weight.values()) + (len(terms) - len(known)) * min(weight.values())
        scored = []
        for runbook in self.runbooks.values():
            index = self._index(runbook)
            got = 0.0
            for t in known:
                if _head_hit(t, index.head_words):
                    got += weight[t]
                elif stem(t) in index.body_stems:
                    got += RARE_BODY_SHARE * weight[t]
            scored.append((RARE_SCALE * got / total, runbook))
        scored.sort(key=lambda pair: (-pair[0], pair[1].name))
        (best, runbook), runner_up = scored[0], (scored[1][0] if len(scored) > 1 else 0.0)
        if best < RARE_MIN or best < RARE_LEAD * runner_up:
            return []
        return [Hit(runbook, round(best, 1), "its rarest words are in this runbook")]

    def _document_frequency(self) -> dict[str, int]:
        if self.word_df is None:
            df: Counter[str] = Counter()
            for runbook in self.runbooks.values():
                df.update(self._index(runbook).body_stems)
            self.word_df = dict(df)
        return self.word_df


APPLY_RANK = {"ref": 3, "system": 2, "owner": 2, "type": 1, "tag": 1, "kind": 1, "any": 0}


@dataclass
class _Index:
    """What search compares against, computed once per runbook."""

    headline: list[tuple[str, str, str]]  # (label, value, compact value)
    head_words: set[str]
    body_stems: set[str]

    @classmethod
    def of(cls, runbook: Runbook) -> _Index:
        fields = [("name", runbook.name), ("title", runbook.title)]
        fields += [("alert", a) for a in runbook.alerts] + [("keyword", k) for k in runbook.keywords]
        headline = [(label, value, compact(value)) for label, value in fields if compact(value)]
        head_words = {w for _, value, _ in headline for w in words(split_camel(value))}
        head_words |= {c for _, _, c in headline}
        body = " ".join([runbook.description, *(s.text for s in runbook.sections)])
        body += " " + " ".join(f"{s.title} {s.text}" for s in runbook.steps)
        return cls(headline, head_words, {stem(w) for w in words(body)} | {stem(w) for w in head_words})


def split_camel(text: str) -> str:
    """ "KubeJobFailed" -> "Kube Job Failed", so alert names match the words people type."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "er", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _text_score(index: _Index, query: str) -> tuple[float, str]:
    q = compact(query)
    best, why = 0.0, ""
    for label, value, v in index.headline:
        if q == v:
            score = 100.0
        elif len(q) >= 4 and len(v) >= 4 and (q in v or v in q):
            score = 90.0
        else:
            score = max(fuzz.ratio(q, v), fuzz.token_sort_ratio(query.lower(), split_camel(value).lower())) * 0.9
        if score > best:
            best, why = score, f"{label} {value!r}"
    terms = words(split_camel(query))
    if terms:
        covered = sum(1 for t in terms if _head_hit(t, index.head_words))
        coverage = 95.0 * covered / len(terms)
        if coverage > best:
            best, why = coverage, f"{covered}/{len(terms)} words in name/title/alerts"
        in_body = sum(1 for t in terms if stem(t) in index.body_stems)
        body = 60.0 * in_body / len(terms)  # text-only matches rank below any name/title/alert match
        if body > best:
            best, why = body, f"{in_body}/{len(terms)} words in the text"
    return best, why


def _head_hit(term: str, vocabulary: set[str]) -> bool:
    if term in vocabulary or stem(term) in vocabulary:
        return True
    if len(term) == 3:  # "max" for "maxed", "oom" for "oomkilled"
        return any(w.startswith(term) for w in vocabulary)
    if len(term) < 3:
        return False
    return any(len(w) >= 4 and (w in term or term in w or fuzz.ratio(term, w) >= 88) for w in vocabulary)


def applies_to(runbook: Runbook, entity: Any) -> str | None:
    """How a runbook's ``applies_to`` matches an entity: 'ref', 'system', 'type', 'tag', 'kind', 'any'."""
    if not runbook.applies_to:
        return None
    if isinstance(entity, str):
        ref, name, kind, tags, type_, system, owner = _from_name(entity)
    else:
        ref, name, kind = entity.ref.lower(), entity.name.lower(), entity.kind.lower()
        tags = {t.lower() for t in entity.tags}
        type_ = (entity.type or "").lower()
        system = str(entity.spec.get("system") or "").lower().split("/")[-1].split(":")[-1]
        owner = str(entity.spec.get("owner") or "").lower().split("/")[-1].split(":")[-1]
    best: str | None = None
    for raw in runbook.applies_to:
        rule = raw.strip().lower()
        found = _match(rule, ref, name, kind, tags, type_, system, owner)
        if found and (best is None or APPLY_RANK[found] > APPLY_RANK[best]):
            best = found
    return best


def _from_name(text: str) -> tuple[str, str, str, set[str], str, str, str]:
    name = text.strip().lower().split("/")[-1].split(":")[-1]
    kind = text.split(":", 1)[0].lower() if ":" in text else "component"
    return f"{kind}:default/{name}", name, kind, set(), "", "", ""


def _match(rule, ref, name, kind, tags, type_, system, owner) -> str | None:
    if rule in ("*", "any"):
        return "any"
    prefix, _, value = rule.partition(":")
    if prefix == "kind":
        return "kind" if value == kind else None
    if prefix == "tag":
        return "tag" if value in tags else None
    if prefix == "type":
        return "type" if value == type_ else None
    if prefix == "system":
        if ref == f"system:default/{value.split('/')[-1]}":
            return "ref"
        return "system" if value.split("/")[-1] == system else None
    if prefix == "owner":
        return "owner" if value.split("/")[-1] == owner else None
    if ":" in rule:  # an entity ref: kind:name or kind:namespace/name
        rule_kind, _, rest = rule.partition(":")
        rule_ref = f"{rule_kind}:{rest if '/' in rest else 'default/' + rest}"
        return "ref" if rule_ref == ref else None
    if "/" in rule:
        return "ref" if rule.split("/")[-1] == name else None
    return "kind" if rule in (kind, type_) else None
