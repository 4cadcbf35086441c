"""Finding entity mentions in free text: the slot filler of the offline planner.

Each entity gets aliases (its name, title, display name, "<name> service", "the payments team"
for ``team-payments`` …), indexed by a compact form (lower-case letters and digits only), so that
"orders db", "orders-db" and "Orders DB" are the same key. Word n-grams of the text are looked up
exactly, then with one edit (insert, delete, substitute, transpose) through a symmetric-delete
index, so that "chekout" finds checkout without comparing against every alias. Overlapping
candidates are resolved greedily, longer and better matches first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import DamerauLevenshtein

from tools.catalog.model import Entity, InvalidRefError, normalize_ref


def wordset(text: str) -> frozenset[str]:
    """A set of words written as whitespace-separated text (easier to read and edit than a list)."""
    return frozenset(text.split())


# Words that never start or end a mention, and that are never fuzzy-matched.
STOPWORDS = wordset(
    """
    a an the of for to in on at by with from and or but is are was were be been being it its it's
    this that these those them they their there here who whom whose what which when where why how
    does do did doing done can could should would will shall may might must i me my mine we us our
    you your he she his her all any some each every no not if then than so as about into over under
    up down out off please tell show list find give get let know me about up down goes go going gone
    broken break breaks own owns owned owner owners call calls depend depends dependency
    dependencies dependents consume consumes consumed provide provides provided use uses used team
    teams squad group groups service services system systems domain domains api apis component
    components resource resources database user users member members oncall on-call page paged
    contact contacts describe explain info information details detail running run many much more
    most also just only other else
"""
)

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*")
_REF_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*:(?:[a-z0-9-]+/)?[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]\b")
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

MAX_NGRAM = 5
MIN_FUZZY_LEN = 5
MAX_FUZZY_LEN = 48
MAX_TOKENS = 400  # a pasted log is not searched past this many words
KIND_PRIORITY = ("component", "api", "resource", "system", "group", "user", "domain", "template", "location")


def compact(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


# Kinds nobody asks about by name: a Location only says where entities were read from, and its
# name ("systems", "templates") is a common word a question uses for something else.
UNMENTIONED_KINDS = frozenset({"location"})
# A typo is only assumed inside a word at least this long: "hello-world grpc" is not a misspelt
# "hello-world-trpc", since a one-letter change to a short word makes another word.
MIN_TYPO_WORD = 5


def _edits_short_word(key: str, cand: str, words: list[str]) -> bool:
    """Whether the one edit between ``key`` and ``cand`` falls in a short word of ``key``."""
    at = next((i for i, (a, b) in enumerate(zip(key, cand, strict=False)) if a != b), min(len(key), len(cand)))
    start = 0
    for word in words:
        if start <= at < start + len(word) or (at == start + len(word) and word is words[-1]):
            return len(word) < MIN_TYPO_WORD
        start += len(word)
    return False


@dataclass
class Mention:
    ref: str
    text: str
    start: int
    end: int
    score: float
    alternatives: list[str] = field(default_factory=list)  # other entities the same words name


@dataclass(frozen=True)
class _Alias:
    key: str  # entity key (lower-cased ref)
    kind: str
    quality: float  # 100 for the name itself, less for derived phrases


def aliases_of(entity: Entity) -> Iterable[tuple[str, float]]:
    """(phrase, quality) pairs by which people refer to an entity."""
    name = entity.name
    kind = entity.kind_lower
    yield name, 100.0
    if entity.title:
        yield entity.title, 98.0
        # "GC Notify API | GC Notification API": real titles list a name and its variants.
        parts = [p.strip() for p in re.split(r"\s+[|/]\s+", entity.title) if p.strip()]
        if len(parts) > 1:
            for part in parts:
                yield part, 96.0
    display = entity.profile.get("displayName")
    if isinstance(display, str) and display:
        yield display, 97.0
    words = re.split(r"[-_.]+", name.lower())
    if kind == "group":
        core = [w for w in words if w not in ("team", "squad", "group")]
        if core and core != words:
            stem = " ".join(core)
            yield f"{stem} team", 99.0
            yield f"team {stem}", 99.0
            yield f"{stem} squad", 97.0
            yield stem, 85.0
        elif core:
            stem = " ".join(core)
            yield f"{stem} team", 97.0
            yield f"team {stem}", 97.0
    elif kind == "component":
        if words[-1] not in ("service", "svc", "app"):
            yield f"{name} service", 96.0
            yield f"{name} app", 94.0
    elif kind == "api":
        if words[-1] != "api":
            yield f"{name} api", 97.0
        else:
            yield " ".join(words[:-1]) + " api", 96.0
    elif kind == "resource":
        if words[-1] in ("db", "database"):
            stem = " ".join(words[:-1])
            yield f"{stem} database", 96.0
            yield f"{stem} db", 96.0
        elif entity.type == "database":
            yield f"{name} database", 96.0
            yield f"{name} db", 95.0
    elif kind == "system":
        yield f"{name} system", 97.0
    elif kind == "domain":
        yield f"{name} domain", 97.0
    elif kind == "user" and "." in name:
        yield name.replace(".", " "), 96.0


class MentionIndex:
    """Built once per catalog; lookups cost a few dictionary probes per word n-gram."""

    def __init__(self, entities: Iterable[Entity]):
        self.exact: dict[str, list[_Alias]] = {}
        # One-character deletions of the primary aliases (names, titles, display names) → alias
        # keys. Derived phrases ("payments team") are matched exactly only: a typo in them is
        # still caught through the name they contain, and the index stays small.
        self.deletes: dict[str, list[str]] = {}
        self.emails: dict[str, str] = {}
        fuzzy_keys: set[str] = set()
        for entity in entities:
            if entity.kind_lower in UNMENTIONED_KINDS:
                continue
            display = entity.profile.get("displayName")
            primary = {
                compact(entity.name),
                compact(entity.title or ""),
                compact(display if isinstance(display, str) else ""),
            }
            for phrase, quality in aliases_of(entity):
                key = compact(phrase)
                if not key:
                    continue
                bucket = self.exact.setdefault(key, [])
                if not any(a.key == entity.key for a in bucket):
                    bucket.append(_Alias(entity.key, entity.kind_lower, quality))
                if key in primary and len(key) >= MIN_FUZZY_LEN:
                    fuzzy_keys.add(key)
            if entity.email:
                self.emails[entity.email.lower()] = entity.key
        deletes = self.deletes
        for key in fuzzy_keys:
            deletes.setdefault(key, []).append(key)
            for i in range(len(key)):
                deletes.setdefault(key[:i] + key[i + 1 :], []).append(key)

    # -------------------------------------------------------------------------------------------
    def _fuzzy(self, key: str) -> list[tuple[str, float]]:
        """Alias keys within one edit of ``key``, with a similarity score."""
        candidates: set[str] = set(self.deletes.get(key, ()))
        for i in range(len(key)):
            candidates.update(self.deletes.get(key[:i] + key[i + 1 :], ()))
        out = []
        for cand in candidates:
            if cand == key:
                continue
            distance = DamerauLevenshtein.distance(key, cand, score_cutoff=1)
            if distance <= 1:
                out.append((cand, 100.0 * (1 - distance / max(len(key), len(cand)))))
        return out

    def find(
        self,
        text: str,
        resolve: Callable[[str], Entity | None],
        kinds: Iterable[str] | None = None,
    ) -> list[Mention]:
        """Mentions in ``text``; ``resolve(key)`` turns an alias key into an Entity or None."""
        allowed = {k.lower() for k in kinds} if kinds else None
        candidates: list[tuple[float, int, int, str, float, list[str]]] = []

        def priority(kind: str) -> int:
            return KIND_PRIORITY.index(kind) if kind in KIND_PRIORITY else len(KIND_PRIORITY)

        # Explicit refs ("component:default/checkout") and e-mail addresses first.
        for match in _REF_RE.finditer(text):
            try:
                key = normalize_ref(match.group(0))
            except InvalidRefError:
                continue
            entity = resolve(key)
            if entity is not None and (allowed is None or entity.kind_lower in allowed):
                candidates.append((1e6, match.start(), match.end(), entity.key, 100.0, []))
        for match in _EMAIL_RE.finditer(text):
            key = self.emails.get(match.group(0).lower())
            if key and (allowed is None or key.split(":", 1)[0] in allowed):
                candidates.append((1e6, match.start(), match.end(), key, 100.0, []))

        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)][:MAX_TOKENS]
        for i in range(len(tokens)):
            for n in range(1, MAX_NGRAM + 1):
                j = i + n - 1
                if j >= len(tokens):
                    break
                last = tokens[j][0].lower()
                words = [t[0].lower() for t in tokens[i : j + 1]]
                key = compact("".join(words))
                start, end = tokens[i][1], tokens[j][2]
                hits: list[tuple[_Alias, float]] = [(a, a.quality) for a in self.exact.get(key, ())]
                edge_stop = words[0] in STOPWORDS or last in STOPWORDS
                if not hits and MIN_FUZZY_LEN <= len(key) <= MAX_FUZZY_LEN and not edge_stop:
                    for cand, similarity in self._fuzzy(key):
                        if n > 1 and _edits_short_word(key, cand, [compact(w) for w in words]):
                            continue
                        for alias in self.exact[cand]:
                            hits.append((alias, alias.quality * similarity / 100.0 - 2.0))
                if allowed is not None:
                    hits = [h for h in hits if h[0].kind in allowed]
                if not hits:
                    continue
                hits.sort(key=lambda h: (-h[1], priority(h[0].kind)))
                best, score = hits[0]
                others = [a.key for a, s in hits[1:] if a.key != best.key and s >= score - 3.0]
                weight = (end - start) * (score / 100.0) ** 2
                candidates.append((weight, start, end, best.key, round(score, 1), list(dict.fromkeys(others))))

        candidates.sort(key=lambda c: (-c[0], -c[4], c[1]))
        taken: list[tuple[int, int]] = []
        mentions: list[Mention] = []
        seen_keys: set[str] = set()
        for _weight, start, end, key, score, others in candidates:
            if any(start < e and s < end for s, e in taken):
                continue
            entity = resolve(key)
            if entity is None:
                continue
            taken.append((start, end))
            if entity.key in seen_keys:
                continue
            seen_keys.add(entity.key)
            alternatives = [e.ref for e in (resolve(k) for k in others) if e is not None]
            mentions.append(Mention(entity.ref, text[start:end], start, end, score, alternatives))
        mentions.sort(key=lambda m: m.start)
        return mentions
