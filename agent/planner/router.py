"""Routing an utterance to an intent: rules, then lexical similarity, then (lazily) MiniLM.

Entity names are replaced by a placeholder on both sides before comparing, so that "who owns
checkout" and the example "who owns payments-gateway" look alike. Lexical similarity (TF-IDF over
words and word pairs, plus rapidfuzz) decides most asks cheaply; the bundled MiniLM model is only
loaded when lexical evidence is weak, which keeps the CLI's cold start fast.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from contract.intents import Intent, PlanState

if TYPE_CHECKING:
    from agent.runtime import Runtime

PLACEHOLDER = "xent"
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "of",
        "to",
        "for",
        "in",
        "on",
        "at",
        "by",
        "it",
        "its",
        "this",
        "that",
        "please",
        "can",
        "could",
        "would",
        "you",
        "me",
        "i",
        "we",
        "our",
        "us",
        "do",
        "does",
        "did",
        "tell",
        "show",
        "give",
    ]
)
# Below this lexical score, the embedding model is consulted.
LEXICAL_CONFIDENT = 0.55
# Below this final score, no intent is chosen.
MIN_SCORE = 0.30
# A lexical/rule score this high is trusted without consulting the embedding model.
CONFIDENT_ROUTE = 0.60
# A follow-up tends to stay on the previous turn's intent ("including transitive ones?").
CONTINUITY_BONUS = 0.20
FAMILY_CONTINUITY_BONUS = 0.05
# An ask for a family with no source beats a live intent only when it is this much stronger, or
# when only it matched a pattern: with only docs configured, a docs question that also looks a
# little like a catalog one is a docs question.
DORMANT_MARGIN = 0.30
# How much an ask must read like the examples of an intent with no source to count as asking for it
# when its extractor cannot tell (broad patterns such as "what …?" alone do not).
DORMANT_MIN_LEXICAL = 0.35
OUT_OF_SCOPE = "out-of-scope"
# Openers that carry no intent ("and what uses it?", "ok, thanks. who's behind it?"): rules
# anchored at the start of a question would miss the question behind them.
OPENER = re.compile(
    r"^\s*(?:(?:and|ok|okay|so|also|then|thanks|thank you|thx|cool|great|nice|hmm+|right|alright|perfect|"
    r"got it|one more thing|another one)\b[\s,.!:;-]*)+",
    re.IGNORECASE,
)
# A follow-up that only names another entity ("what about payments-gateway?", "same for cart"):
# the previous question, asked again about it. Matched on the masked utterance.
ELLIPTICAL = re.compile(
    rf"^\s*(?:(?:what|how)\s+about|same\s+(?:for|with)|and|for)?\s*(?:the\s+)?{PLACEHOLDER}"
    rf"(?:\s*(?:,|and|&)\s*(?:the\s+)?{PLACEHOLDER})*\s*(?:too|then|as well)?\s*[?.!]*\s*$",
    re.IGNORECASE,
)


@dataclass
class Candidate:
    intent: Intent
    score: float
    lexical: float
    semantic: float | None = None
    pattern: bool = False


class Route(NamedTuple):
    """The intent an utterance goes to, with its slots. ``live`` is False when the intent's family has
    no configured source: the intent is not planned, and the answer is the family's setup line."""

    intent: Intent
    slots: dict[str, Any]
    live: bool = True
    pattern: bool = False  # one of the intent's patterns matched: the ask is plainly of this kind
    # The family with no source the ask was for, when its fallback family answers instead: if that
    # finds nothing too, the answer says how to configure the family asked for.
    instead_of: str | None = None


def _mask_entities(text: str, runtime: Runtime | None) -> str:
    """Replace catalog entity mentions with a placeholder so phrasing, not names, is compared."""
    if runtime is None:
        return text.lower()
    try:
        mentions = runtime.catalog.find_mentions(text)
    except Exception:
        return text.lower()
    out, last = [], 0
    for m in sorted(mentions, key=lambda m: m.start):
        if m.start < last:
            continue
        out.append(text[last : m.start])
        out.append(f" {PLACEHOLDER} ")
        last = m.end
    out.append(text[last:])
    return "".join(out).lower()


def _features(text: str) -> Counter[str]:
    words = [w for w in WORD.findall(text.lower())]
    content = [w for w in words if w not in STOPWORDS]
    feats: Counter[str] = Counter(content)
    feats.update(f"{a}_{b}" for a, b in itertools.pairwise(words))
    return feats


def _out_of_scope_intent() -> Intent:
    from agent.planner.out_of_scope import EXAMPLES, PATTERNS

    return Intent(
        name=OUT_OF_SCOPE,
        family="none",
        summary="",
        examples=list(EXAMPLES),
        patterns=list(PATTERNS),
        extract=lambda state: None,
        plan=lambda state: None,  # never planned: route() stops here
    )


class Router:
    """Ranks every intent, also those of families with no configured source (``dormant``): those are
    never planned, but recognising them lets an ask for such a family get an honest line."""

    def __init__(self, intents: list[Intent], runtime: Runtime | None = None, dormant: Collection[Intent] = ()):
        self.intents = [*intents, *dormant, _out_of_scope_intent()]
        self.runtime = runtime
        self._dormant = frozenset(intent.name for intent in dormant)
        self._by_name = {intent.name: intent for intent in self.intents}
        self._examples: list[tuple[Intent, str, Counter[str]]] = []
        for intent in self.intents:
            for example in intent.examples:
                masked = _mask_entities(example, runtime)
                self._examples.append((intent, masked, _features(masked)))
        df: Counter[str] = Counter()
        for _, _, feats in self._examples:
            df.update(set(feats))
        n = max(1, len(self._examples))
        self._idf = {f: math.log((n + 1) / (c + 0.5)) for f, c in df.items()}
        self._index_examples()
        self._embedded = None  # lazily: (matrix of example embeddings)

    def _index_examples(self) -> None:
        """Arrays for scoring every example at once (routing runs on every question)."""
        postings: dict[str, list[tuple[int, float]]] = {}
        for i, (_, _, feats) in enumerate(self._examples):
            for feature, weight in self._tfidf(feats).items():
                postings.setdefault(feature, []).append((i, weight))
        self._postings = {
            f: (np.array([i for i, _ in p], dtype=np.intp), np.array([w for _, w in p])) for f, p in postings.items()
        }
        self._example_texts = [example for _, example, _ in self._examples]
        names = [intent.name for intent in self.intents]
        self._intent_names = names
        self._example_intent = np.array([names.index(intent.name) for intent, _, _ in self._examples], dtype=np.intp)

    def _tfidf(self, feats: Counter[str]) -> dict[str, float]:
        vec = {f: c * self._idf.get(f, math.log(len(self._examples) + 1)) for f, c in feats.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {f: v / norm for f, v in vec.items()}

    def _lexical(self, masked: str) -> dict[str, float]:
        """Per intent, its best example's 0.65 × TF-IDF cosine + 0.35 × fuzzy token-set ratio."""
        cosine = np.zeros(len(self._examples))
        for feature, weight in self._tfidf(_features(masked)).items():
            if feature in self._postings:
                rows, weights = self._postings[feature]
                cosine[rows] += weight * weights
        fuzzy = process.cdist([masked], self._example_texts, scorer=fuzz.token_set_ratio, dtype=np.float64)[0]
        scores = 0.65 * cosine + 0.35 * (fuzzy / 100.0)
        best = np.zeros(len(self._intent_names))
        np.maximum.at(best, self._example_intent, scores)
        return {name: float(score) for name, score in zip(self._intent_names, best, strict=True) if score > 0.0}

    def _semantic(self, masked: str) -> dict[str, float]:
        from contract.embeddings import embed

        if self._embedded is None:
            self._embedded = embed([example for _, example, _ in self._examples])
        query = embed([masked])[0]
        sims = self._embedded @ query
        best: dict[str, float] = {}
        for (intent, _, _), sim in zip(self._examples, sims, strict=True):
            best[intent.name] = max(best.get(intent.name, -1.0), float(sim))
        return best

    def rank(self, utterance: str, *, allow_semantic: bool = True, previous: str | None = None) -> list[Candidate]:
        """Intents by score, best first. ``previous`` is the intent the last turn was answered by."""
        masked = _mask_entities(utterance, self.runtime)
        return self._rank(utterance, masked, self._lexical(masked), allow_semantic, previous)

    def _rank(
        self, utterance: str, masked: str, lexical: dict[str, float], allow_semantic: bool, previous: str | None
    ) -> list[Candidate]:
        previous_family = next((i.family for i in self.intents if i.name == previous), None)
        top_lexical = max(lexical.values(), default=0.0)
        semantic: dict[str, float] = {}
        if allow_semantic and top_lexical < LEXICAL_CONFIDENT:
            try:
                semantic = self._semantic(masked)
            except Exception:  # the model package is missing: rules and lexical only
                semantic = {}
        hits = {intent.name: intent.pattern_hit(utterance) for intent in self.intents}
        out = []
        for intent in self.intents:
            lex = lexical.get(intent.name, 0.0)
            sem = semantic.get(intent.name)
            hit = hits[intent.name] and not any(hits.get(other) for other in intent.defers_to)
            score = lex if sem is None else 0.35 * lex + 0.65 * sem
            if hit:
                score += 0.35
            score += intent.priority
            if previous and intent.name == previous:
                score += CONTINUITY_BONUS
            elif previous_family and intent.family == previous_family:
                score += FAMILY_CONTINUITY_BONUS
            out.append(Candidate(intent, score, lex, sem, hit))
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def route(self, state: PlanState) -> Route | None:
        """The best intent whose slots can be filled from this utterance, with those slots.

        Two passes: rules and lexical similarity first, accepting only a confident match; the
        embedding model is consulted only when that finds nothing, so most asks never load it.
        An intent of a family with no source is returned with ``live=False`` when it wins.
        """
        previous = state.previous_intent
        utterance = OPENER.sub("", state.utterance) or state.utterance
        masked = _mask_entities(utterance, self.runtime)  # both passes share masking and lexical scores
        if previous and state.previous_question and ELLIPTICAL.match(masked):
            repeated = self._repeat_previous(state, previous, utterance)
            if repeated is not None:
                return repeated
        lexical = self._lexical(masked)
        ranked = self._rank(utterance, masked, lexical, False, previous)
        decided, found, dormant = self._first_extracting(ranked, state, CONFIDENT_ROUTE)
        if not decided:
            ranked = self._rank(utterance, masked, lexical, True, previous)
            _, found, dormant_now = self._first_extracting(ranked, state, MIN_SCORE)
            dormant = dormant_now or dormant
        return self._prefer(found, dormant, state)

    def _prefer(
        self, found: tuple[Candidate, Route] | None, dormant: Candidate | None, state: PlanState
    ) -> Route | None:
        """The live route, unless the ask is clearly for a family with no source. Then the family
        that one falls back to answers if it has data ("what is plantuml?" with only docs
        configured), else the answer is the missing family's setup line."""
        if dormant is None:
            return found[1] if found else None
        if found is not None:
            live, route = found
            clearly = (dormant.pattern and not live.pattern) or dormant.score - live.score >= DORMANT_MARGIN
            if not clearly:
                return route
        instead = self.fallback(state, dormant.intent, ())
        if instead is not None:
            return instead._replace(instead_of=dormant.intent.family)
        return Route(dormant.intent, {}, live=False, pattern=dormant.pattern)

    def route_to(self, state: PlanState, name: str) -> Route | None:
        """The named intent, when it may be planned and its extractor takes this ask."""
        intent = next((i for i in self.intents if i.name == name), None)
        if intent is None or not self._usable(intent):
            return None
        state.pattern_hit = intent.pattern_hit(state.utterance)
        slots = intent.extract(state)
        return Route(intent, slots, pattern=state.pattern_hit) if slots is not None else None

    def plain_intent(self, utterance: str, previous: str | None = None) -> Intent | None:
        """The intent an ask plainly is, by its words alone: the best-ranked one, if one of its
        patterns matches (no entity needs resolving: "who owns that system?" before "that system"
        is known)."""
        utterance = OPENER.sub("", utterance) or utterance
        best = next(iter(self.rank(utterance, allow_semantic=False, previous=previous)), None)
        if best is None or not best.pattern or best.intent.name == OUT_OF_SCOPE:
            return None
        return best.intent

    def elliptical(self, utterance: str) -> bool:
        """Whether the ask only names entities ("what about payments-gateway?"): it repeats the
        previous question, and is no question of its own."""
        utterance = OPENER.sub("", utterance) or utterance
        return bool(ELLIPTICAL.match(_mask_entities(utterance, self.runtime)))

    def fallback(self, state: PlanState, intent: Intent, tried: Collection[str]) -> Route | None:
        """Where to go when ``intent`` found nothing: the best-ranked intent of a family it falls back
        to ("nothing in the catalog matched" → a docs search) that has data and takes this ask."""
        families = [f for f in intent.falls_back_to if f not in tried]
        if not families:
            return None
        utterance = OPENER.sub("", state.utterance) or state.utterance
        for candidate in self.rank(utterance, previous=state.previous_intent):
            other = candidate.intent
            if other.family not in families or not self._usable(other):
                continue
            state.pattern_hit = candidate.pattern
            slots = other.extract(state)
            if slots is not None:
                return Route(other, slots, pattern=candidate.pattern)
        return None

    def _usable(self, intent: Intent) -> bool:
        """Whether the intent may be planned: its family has a source (or it needs none)."""
        if intent.name in self._dormant:
            return False
        return self.runtime is None or not intent.needs_source or self.runtime.family_live(intent.family)

    def _repeat_previous(self, state: PlanState, previous: str, utterance: str) -> Route | None:
        """ "what about X?": the previous question asked again about X (its old names swapped for X)."""
        mentioned = [m.text for m in self.runtime.catalog.find_mentions(utterance)] if self.runtime else []
        if not mentioned:
            return None
        question = state.previous_question or ""
        for old in sorted(self.runtime.catalog.find_mentions(question), key=lambda m: m.start, reverse=True):
            question = question[: old.start] + " " + question[old.end :]
        original = state.utterance
        state.utterance = f"{' '.join(question.split())} ({', '.join(mentioned)})"
        route = self.route_to(state, previous)
        if route is None:
            state.utterance = original
        return route

    def _first_extracting(
        self, ranked: list[Candidate], state: PlanState, min_score: float
    ) -> tuple[bool, tuple[Candidate, Route] | None, Candidate | None]:
        """(decided, result, dormant): the first usable candidate above ``min_score`` that extracts
        its slots, and the best candidate ranked before it whose family has no source.

        Reaching the out-of-scope class decides too, with no result: the ask needs an LLM.
        A dormant candidate counts only when its intent would take the ask (see :func:`_would_take`).
        """
        dormant: Candidate | None = None
        for candidate in ranked:
            if candidate.score < min_score:
                break
            if candidate.intent.name == OUT_OF_SCOPE:
                return True, None, dormant
            if not self._usable(candidate.intent):
                if dormant is None and _would_take(candidate, state):
                    dormant = candidate
                continue
            state.pattern_hit = candidate.pattern
            slots = candidate.intent.extract(state)
            if slots is not None:
                return True, (candidate, Route(candidate.intent, slots, pattern=candidate.pattern)), dormant
        return False, None, dormant


def _would_take(candidate: Candidate, state: PlanState) -> bool:
    """Whether an intent of a family with no source would take this ask: one of its patterns
    matches, and its extractor accepts the utterance or, since an extractor often needs the very
    source that is missing (a catalog name to restart), the ask reads like its examples."""
    if not candidate.pattern:
        return False
    if candidate.lexical >= DORMANT_MIN_LEXICAL:
        return True
    state.pattern_hit = True
    try:
        return candidate.intent.extract(state) is not None
    except Exception:  # its extractor needs the missing source
        return False
