"""A small in-memory BM25 (Okapi) index over chunk documents, with metadata filters.

Vectors find paraphrases; BM25 finds exact identifiers that embeddings blur: env var names
(``REINDEX_BATCH_SIZE``), error strings, flag names, component names. Postings are numpy arrays
per term, so a query touches only the documents that contain its terms: a few milliseconds at
100,000 chunks.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

TOKENIZER_VERSION = "2"  # part of every page hash: a change here re-indexes (stored keyword terms follow it)
WORD = re.compile(r"[a-z0-9]+(?:[_.][a-z0-9]+)*", re.IGNORECASE)
STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he
    her here hers how i if in into is it its itself just me more most my no nor not now of off on once
    only or other our ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours page documented documentation docs say says
    tell""".split()  # noqa: SIM905 - a word list reads better as text
) | frozenset(  # what is left of a contraction ("we're", "don't"): it matches any page written as people speak
    "s t d m ll re ve don doesn didn isn aren wasn weren hasn haven hadn won wouldn shouldn couldn mustn".split()  # noqa: SIM905
)


def stem(word: str) -> str:
    """Crude suffix stripping: enough to match rotate/rotating/rotates, key/keys, fail/failed, cache/cached.

    A final silent "e" goes too (rotate → rotat, like rotated and rotating), or "cache" would never meet
    "cached" and "enable" never "enabled".
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    base = _strip_suffix(word)
    return base[:-1] if len(base) > 4 and base.endswith("e") else base


def _strip_suffix(word: str) -> str:
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            if suffix == "es" and not base.endswith(("s", "x", "z", "ch", "sh")):
                return base + "e"
            if suffix == "s" and base.endswith("s"):
                return word
            if suffix in ("ing", "ed") and len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
                return base[:-1]  # running → run, stopped → stop
            return base
    return word


CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def tokenize(text: str) -> list[str]:
    """Lower-cased terms; identifiers (``_``, ``.``, camelCase) are kept whole and also split into parts.

    ``terminationGracePeriodSeconds`` must match a question about the "termination grace period".
    """
    out: list[str] = []
    for match in WORD.finditer(text):
        out.extend(word_terms(match.group(0)))
    return out


@functools.lru_cache(maxsize=200_000)
def word_terms(original: str) -> tuple[str, ...]:
    """The terms of one word. Memoised: a search re-reads its candidates' lines for every query,
    and a corpus's vocabulary is small next to its text."""
    token = original.lower()
    camel = CAMEL.findall(original) if re.search(r"[a-z][A-Z]", original) else []
    out: list[str] = []
    if "_" in token or "." in token or camel:
        out.append(token)
        parts = [p.lower() for p in camel] if camel and "_" not in token and "." not in token else []
        parts = parts or re.split(r"[_.]", token)
    else:
        parts = [token]
    out.extend(stem(p) for p in parts if p and p not in STOPWORDS)
    return tuple(out)


class BM25Index:
    def __init__(
        self,
        ids: Sequence[str],
        documents: Sequence[str],
        metadatas: Sequence[dict],
        k1: float = 1.2,
        b: float = 0.75,
        filter_fields: Iterable[str] = ("entity", "owner", "system"),
    ):
        self.ids = list(ids)
        self.k1, self.b = k1, b
        n = len(self.ids)
        self.lengths = np.zeros(n, dtype=np.float32)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(documents):
            counts = Counter(tokenize(doc))
            self.lengths[i] = sum(counts.values())
            for term, tf in counts.items():
                docs, tfs = postings.setdefault(term, ([], []))
                docs.append(i)
                tfs.append(tf)
        self.avgdl = float(self.lengths.mean()) if n else 1.0
        self.postings = {
            t: (np.asarray(d, dtype=np.int32), np.asarray(f, dtype=np.float32)) for t, (d, f) in postings.items()
        }
        self.idf = {t: math.log(1 + (n - len(d) + 0.5) / (len(d) + 0.5)) for t, (d, _) in self.postings.items()}
        self._norm = (self.k1 * (1 - self.b + self.b * self.lengths / max(self.avgdl, 1e-9))).astype(np.float32)
        self.filters: dict[str, dict[str, np.ndarray]] = {}
        for name in filter_fields:
            groups: dict[str, list[int]] = {}
            for i, meta in enumerate(metadatas):
                groups.setdefault(str(meta.get(name, "") or "").lower(), []).append(i)
            self.filters[name] = {k: np.asarray(v, dtype=np.int32) for k, v in groups.items()}

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, where: dict[str, str | list[str]] | None) -> np.ndarray | None:
        """Boolean mask of documents matching every filter (a list means any of its values)."""
        if not where:
            return None
        mask = np.ones(len(self.ids), dtype=bool)
        for name, value in where.items():
            values = value if isinstance(value, list) else [value]
            allowed = np.zeros(len(self.ids), dtype=bool)
            for v in values:
                idx = self.filters.get(name, {}).get(str(v).lower())
                if idx is not None:
                    allowed[idx] = True
            mask &= allowed
        return mask

    def search(self, query: str, k: int = 30, where: dict | None = None) -> list[tuple[int, float, float]]:
        """Top ``k`` as (document index, score, share of query terms matched), best first."""
        terms = list(dict.fromkeys(tokenize(query)))
        if not terms or not self.ids:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float32)
        matched = np.zeros(len(self.ids), dtype=np.float32)
        weight_total = 0.0
        for term in terms:
            posting = self.postings.get(term)
            idf = self.idf.get(term, 0.0)
            weight_total += idf if posting is not None else math.log(1 + len(self.ids))
            if posting is None:
                continue
            docs, tfs = posting
            scores[docs] += idf * tfs * (self.k1 + 1) / (tfs + self._norm[docs])
            matched[docs] += idf
        mask = self.mask(where)
        if mask is not None:
            scores[~mask] = 0.0
        nonzero = np.flatnonzero(scores)
        if nonzero.size == 0:
            return []
        top = nonzero[np.argpartition(-scores[nonzero], k)[:k]] if nonzero.size > k else nonzero
        top = top[np.argsort(-scores[top], kind="stable")]
        coverage = matched / weight_total if weight_total else matched
        return [(int(i), float(scores[i]), float(coverage[i])) for i in top]
