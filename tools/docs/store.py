"""The docs index: a Chroma collection plus a BM25 keyword index over the same chunks, searched hybrid.

Chroma holds the chunks, their metadata and their MiniLM vectors (PersistentClient under the data
dir, or a Chroma server when ``PORTAL_AGENT_CHROMA_URL`` is set). The keyword index is rebuilt in
memory from the collection whenever the index changes — except with a Chroma server and a
PostgreSQL database, where it lives in PostgreSQL (:mod:`tools.docs.keyword_pg`), so that no
replica reads or holds the whole corpus. Both rankings see the same chunks and are fused with
reciprocal rank fusion. An optional third ranking restricted to the entities a query
names (``boost_entities``) exists but is off by default (weight 0): on the eval set it lowered
recall, because names overlap (a "search" question is often about search-indexer). Whether
anything is relevant at all is decided on the best cosine similarity, how far it stands out, and the
share of query terms BM25 matched (see EVIDENCE), so that a question the docs do not cover gets "not
documented" instead of the least bad page.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from tools.docs.bm25 import STOPWORDS, WORD, BM25Index, tokenize, word_terms
from tools.docs.keyword_pg import ChunkRecord, LexicalHit, SharedKeywordIndex

log = logging.getLogger(__name__)

COLLECTION = "portal-agent-docs"
CANDIDATES = 40  # per ranking, before fusion
FILTERED_EXACT_MAX = 5_000  # a shared index's filtered vector search is exact up to this many matching chunks
EXACT_MAX = 30_000  # an in-memory index this small is ranked exactly (HNSW missed a best match at 2,652 chunks)
# (an entity's or a page's chunks: a few ms; at 1,700 chunks scattered over 100,000 it is on par with Chroma)
RRF_K = 20  # sharper than 60: with every candidate in the vector ranking, the chunks the rankings agree on come first
WEIGHTS = {"vector": 1.0, "bm25": 1.0, "lines": 1.0, "entity": 0.0}
# Relevance ("documented" or not), calibrated on five corpora by benchmarks/docs_gate.py:
#   evidence = best cosine similarity + share of the query's term weight BM25 matched
#              + LEAD_WEIGHT × the best similarity's lead over the 6th-20th candidates
# is relevant at EVIDENCE or more, when the similarity is at least SIM_FLOOR. The lead makes the rule
# relative to the corpus: in a large site every question finds some chunk at 0.5 similarity, and what
# an answerable question adds is a chunk that stands out and words the docs actually use.
# Just under the gate (TENTATIVE_EVIDENCE up to EVIDENCE, similarity at least SIM_WEAK) lay most
# answerable questions of the real mkdocs sites that the gate refused, and no unanswerable one: there
# the answer still says "not documented", and quotes the closest passages for the asker to judge.
SIM_FLOOR = 0.25
EVIDENCE = 1.05
LEAD_WEIGHT = 0.5
LEAD_FROM, LEAD_TO = 5, 20
TENTATIVE_EVIDENCE = 0.88  # from here up to EVIDENCE the closest passages are quoted, marked as not a sure answer
SIM_WEAK = 0.30  # below this a chunk is not even "the closest page" (and the vectors-only gate)
SIM_PAGE, PAGE_COVERAGE = 0.15, 0.3  # the asker named the page: a weak match on it is worth quoting
FILTER_FIELDS = ("entity", "owner", "system")
# With a shared keyword index the BM25 side is a PostgreSQL query: it runs while this thread embeds
# the question and asks Chroma for the vectors (both wait on other processes, not on the GIL).
_LEXICAL_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="docs-lexical")


@dataclass
class Hit:
    id: str
    document: str
    metadata: dict[str, Any]
    score: float  # fused RRF score
    similarity: float | None = None  # cosine similarity, when the vector ranking saw it
    coverage: float = 0.0  # share of query-term weight found by BM25
    sources: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        meta = self.metadata
        return self.document[int(meta.get("header_chars", 0)) :]

    @property
    def own_text(self) -> str:
        """The body without the overlap carried over from the previous chunk."""
        return self.body[int(self.metadata.get("overlap_chars", 0)) :]


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    relevant: bool
    best_similarity: float
    best_coverage: float
    filters: dict[str, Any]
    seconds: float
    chunks: int
    features: dict[str, float] = field(default_factory=dict)  # what the relevance gate looked at
    tentative: bool = False  # not relevant, but close enough that the closest passages are worth quoting


def _client(data_dir: Path, chroma_url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        parsed = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost", port=port, ssl=parsed.scheme == "https", settings=chroma_settings
        )
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).split(":", 1)[0] in ("postgresql", "postgres")


def keyword_index_location(settings: Any) -> str:
    """Where the docs keyword index lives for these settings: ``postgresql`` (one index the replicas
    share: a Chroma server and a PostgreSQL database are both configured) or ``memory`` (this process's)."""
    return "postgresql" if settings.chroma_url and _is_postgres(getattr(settings, "database_url", None)) else "memory"


class DocsStore:
    """One per process (``runtime.service("docs.store", …)``): thread-safe for search and sync."""

    def __init__(
        self,
        data_dir: Path,
        chroma_url: str | None = None,
        collection: str = COLLECTION,
        keyword_url: str | None = None,
    ):
        """``keyword_url``, the deployment's PostgreSQL URL, shares the keyword index when Chroma is a server."""
        from tools.docs.embedding import MiniLMEmbeddingFunction

        self.client = _client(Path(data_dir), chroma_url)
        self.where = chroma_url or str(Path(data_dir) / "chroma")
        self.collection_name = collection
        self.embedding_function = MiniLMEmbeddingFunction()
        self.collection = self.client.get_or_create_collection(
            name=collection,
            embedding_function=self.embedding_function,
            configuration={"hnsw": {"space": "cosine"}},
        )
        self.lock = threading.RLock()  # guards the in-memory BM25 snapshot; held briefly
        self.sync_lock = threading.Lock()  # one indexing run at a time; searches never wait for it
        self.generation = 0
        self._bm25: BM25Index | None = None
        self._bm25_generation = -1
        self._documents: list[str] = []
        self._metadatas: list[dict[str, Any]] = []
        self._vectors: np.ndarray | None = None
        self._rows: dict[str, int] = {}
        shared = bool(chroma_url) and _is_postgres(keyword_url)  # as keyword_index_location decides
        self.shared = SharedKeywordIndex(str(keyword_url), collection) if shared else None
        self._shared_pages: tuple[int, dict[str, dict[str, Any]]] | None = None  # (version, pages)

    @classmethod
    def for_runtime(cls, runtime: Any) -> DocsStore:
        settings = runtime.settings
        return runtime.service(
            "docs.store",
            lambda: cls(runtime.data_dir, settings.chroma_url, keyword_url=getattr(settings, "database_url", None)),
        )

    @property
    def keyword_where(self) -> str:
        """Where the keyword index lives: ``postgresql`` (shared by the replicas) or ``memory``."""
        return "postgresql" if self.shared is not None else "memory"

    # --- maintenance ----------------------------------------------------------------------------
    def count(self) -> int:
        return int(self.collection.count())

    def reset(self) -> None:
        """Drop the collection and create it again (``portal-agent index --rebuild``)."""
        with self.lock:
            with contextlib.suppress(Exception):  # not there yet
                self.client.delete_collection(self.collection_name)
            self.collection = self.client.get_or_create_collection(
                name=self.collection_name,
                embedding_function=self.embedding_function,
                configuration={"hnsw": {"space": "cosine"}},
            )
            if self.shared is not None:
                self.shared.reset()
            self.changed()

    def changed(self) -> None:
        with self.lock:
            self.generation += 1

    def all_records(self, include: tuple[str, ...] = ("metadatas",), batch: int = 5000) -> dict[str, list]:
        """Every record of the collection, fetched in pages (Chroma caps one response)."""
        out: dict[str, list] = {"ids": []}
        for key in include:
            out[key] = []
        offset = 0
        while True:
            page = self.collection.get(include=list(include), limit=batch, offset=offset)
            ids = page["ids"]
            if not ids:
                break
            out["ids"].extend(ids)
            for key in include:
                out[key].extend(page[key])
            offset += len(ids)
            if len(ids) < batch:
                break
        return out

    def add(self, ids: list[str], documents: list[str], metadatas: list[dict], embeddings: Any) -> None:
        limit = max(1, int(getattr(self.client, "get_max_batch_size", lambda: 5000)()))
        for start in range(0, len(ids), limit):
            end = start + limit
            self.collection.upsert(
                ids=ids[start:end],
                documents=documents[start:end],
                metadatas=metadatas[start:end],
                embeddings=embeddings[start:end],
            )
        if self.shared is not None:
            self.shared.add(ids, documents, metadatas, embeddings)

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 5000):
            self.collection.delete(ids=ids[start : start + 5000])
        if self.shared is not None:
            self.shared.delete(ids)

    @contextlib.contextmanager
    def exclusive_sync(self) -> Iterator[None]:
        """One indexing run at a time: in this process, and across replicas when the keyword index is shared."""
        with self.sync_lock, self.shared.exclusive() if self.shared is not None else contextlib.nullcontext():
            yield

    def synced_fingerprint(self) -> str:
        """The fingerprint of the sources the shared index last synced ('' when embedded or unknown)."""
        return self.shared.state()["fingerprint"] if self.shared is not None else ""

    def mark_synced(self, fingerprint: str) -> None:
        if self.shared is not None:
            self.shared.mark_synced(fingerprint)

    # --- lexical side ---------------------------------------------------------------------------
    def bm25(self) -> BM25Index:
        """The in-memory keyword index (embedded mode; also what the calibration benchmarks read)."""
        with self.lock:
            if self._bm25 is None or self._bm25_generation != self.generation:
                generation = self.generation
                records = self.all_records(("documents", "metadatas", "embeddings"))
                self._documents = records["documents"]
                self._metadatas = records["metadatas"]
                vectors = np.asarray(records["embeddings"], dtype=np.float32)
                # an empty collection has no vector width to infer: keep an empty matrix, not a reshape error
                self._vectors = vectors.reshape(len(records["ids"]), -1) if vectors.size else None
                self._bm25 = BM25Index(
                    records["ids"], self._documents, self._metadatas, filter_fields=(*FILTER_FIELDS, "page_key")
                )
                self._rows = {cid: row for row, cid in enumerate(records["ids"])}
                self._bm25_generation = generation
            return self._bm25

    def query_idf(self, query: str) -> dict[str, float]:
        """The idf of each term of ``query``; a term the index lacks weighs as much as the rarest one."""
        if self.shared is not None:
            return self.shared.query_idf(query)
        idf = self.bm25().idf
        unseen = max(idf.values(), default=1.0)
        return {t: idf.get(t, unseen) for t in dict.fromkeys(tokenize(query))}

    def _shared_lexical(
        self, query: str, n: int, filters: dict[str, Any]
    ) -> tuple[list[LexicalHit], dict[str, np.ndarray], dict[str, float]]:
        """The shared index's BM25 hits, their vectors (the gate weighs the similarity of a chunk
        only BM25 found) and the query's idf (the line ranking weighs terms by it), all from the
        same statements: PostgreSQL returns the vectors with the hits; an index written before it
        kept vectors has them fetched from Chroma in the same background step."""
        idf: dict[str, float] = {}
        hits = self.shared.search(query, n, filters or None, idf_out=idf)
        vectors = {h.id: h.vector for h in hits if h.vector is not None}
        missing = [h.id for h in hits if h.vector is None]
        if missing:
            got = self.collection.get(ids=missing, include=["embeddings"])
            for cid, vector in zip(got["ids"], got["embeddings"], strict=True):
                vectors[cid] = np.asarray(vector, dtype=np.float32)
        return hits, vectors, idf

    def respelled(self, query: str) -> str:
        """``query`` with each word the index never saw replaced by the index's term one typo away
        ("diffrence" → "differenc", "exponental" → "exponential"), for the keyword side only: the term
        is a stem, which the keyword side reads as itself (a stem that would stem again is not used).

        A misspelt word weighs as much as the rarest term and matches nothing, so one typo could push
        a question the docs answer below the relevance gate. Only words of five letters or more are
        respelt, to a word starting with the same letter, at one edit (two from nine letters on); the
        in-memory index only (a shared index keeps its vocabulary in PostgreSQL).
        """
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        if self.shared is not None:
            return query
        vocabulary = self._spelling_vocabulary()
        idf = self.bm25().idf

        def fix(match: re.Match) -> str:
            word = match.group(0)
            terms = word_terms(word)
            if len(word) < 5 or not word.isalpha() or not terms or any(t in idf for t in terms):
                return word
            term = terms[-1]
            if term in STOPWORDS:  # "whats" is "what": no term at all
                return term
            limit = 2 if len(term) >= 9 else 1
            options = [v for v in vocabulary.get(term[0], ()) if abs(len(v) - len(term)) <= limit]
            found = process.extract(term, options, scorer=Levenshtein.distance, score_cutoff=limit, limit=5)
            if not found:
                return word
            fixed = min(found, key=lambda f: (f[1], idf.get(f[0], 99.0)))[0]
            return fixed if word_terms(fixed) == (fixed,) else word

        return WORD.sub(fix, query) if vocabulary else query

    def _spelling_vocabulary(self) -> dict[str, list[str]]:
        """The index's alphabetic terms of four letters or more, by first letter (cached per index)."""
        index = self.bm25()
        cached = getattr(self, "_spelling", None)
        if cached is not None and cached[0] is index:
            return cached[1]
        by_letter: dict[str, list[str]] = {}
        for term in index.idf:
            if len(term) >= 4 and term.isalpha():
                by_letter.setdefault(term[0], []).append(term)
        self._spelling = (index, by_letter)
        return by_letter

    def _lexical(self, query: str, n: int, filters: dict[str, Any]) -> list[LexicalHit]:
        if self.shared is not None:
            return self.shared.search(query, n, filters or None)
        index = self.bm25()
        return [
            LexicalHit(index.ids[i], self._documents[i], self._metadatas[i], score, coverage)
            for i, score, coverage in index.search(query, n, filters or None)
        ]

    def pages(self) -> dict[str, dict[str, Any]]:
        """page_key → {title, site_title, url, entity, page} for every indexed page."""
        if self.shared is not None:
            version = self.shared.state()["version"]
            if self._shared_pages is None or self._shared_pages[0] != version:
                self._shared_pages = (version, _pages_of(self.shared.pages()))
            return self._shared_pages[1]
        self.bm25()
        return _pages_of(self._metadatas)

    # --- search -----------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 5,
        entity: str | list[str] | None = None,
        owner: str | list[str] | None = None,
        system: str | list[str] | None = None,
        page_keys: list[str] | None = None,
        boost_entities: list[str] | None = None,
        lexical: bool = True,
        candidates: int = CANDIDATES,
    ) -> SearchResult:
        """Hybrid search. Filters are lower-cased entity/owner/system refs; ``lexical=False`` is vectors only."""
        from tools.docs.embedding import encode

        started = time.perf_counter()
        filters: dict[str, Any] = {}
        for name, value in (("entity", entity), ("owner", owner), ("system", system)):
            if value:
                filters[name] = [v.lower() for v in value] if isinstance(value, list) else value.lower()
        if page_keys is not None:
            filters["page_key"] = list(page_keys)
        in_memory = lexical and self.shared is None
        total = len(self.shared) if self.shared is not None else len(self.bm25()) if lexical else self.count()
        if total == 0:
            return SearchResult(query, [], False, 0.0, 0.0, filters, time.perf_counter() - started, 0)
        pending_lexical: Future | None = None
        if lexical and self.shared is not None:
            pending_lexical = _LEXICAL_POOL.submit(self._shared_lexical, query, candidates, filters)
        qvec = encode([query])[0]
        rankings: dict[str, list[str]] = {}
        found: dict[str, Hit] = {}
        if in_memory and (filters or total <= EXACT_MAX):
            vector = self._vector_subset(self.bm25(), qvec, filters, candidates)
        elif pending_lexical is not None:  # texts of chunks BM25 found too are not fetched twice
            vector = self._shared_vector(qvec, filters, min(candidates, total), pending_lexical)
        else:
            vector = self._vector(qvec, filters, min(candidates, total))
        rankings["vector"] = [h.id for h in vector]
        for hit in vector:
            found[hit.id] = hit
        best_cov = 0.0
        words = self.respelled(query) if in_memory else query  # typos matter to the keyword side only
        if lexical:
            ids = []
            lexical_hits, their_vectors, idf = (
                pending_lexical.result() if pending_lexical else (self._lexical(words, candidates, filters), {}, None)
            )
            query_vector = np.asarray(qvec, dtype=np.float32)
            for lexical_hit in lexical_hits:
                ids.append(lexical_hit.id)
                best_cov = max(best_cov, lexical_hit.coverage)
                hit = found.get(lexical_hit.id)
                if hit is None:
                    hit = found[lexical_hit.id] = Hit(lexical_hit.id, lexical_hit.document, lexical_hit.metadata, 0.0)
                    if lexical_hit.id in their_vectors:
                        hit.similarity = float(their_vectors[lexical_hit.id] @ query_vector)
                hit.coverage = lexical_hit.coverage
            rankings["bm25"] = ids
        boost = [e.lower() for e in (boost_entities or []) if e]
        if boost and "entity" not in filters and WEIGHTS["entity"] > 0:
            boosted = self._vector(qvec, {**filters, "entity": boost}, min(candidates // 2, total))
            rankings["entity"] = [h.id for h in boosted]
            for hit in boosted:
                found.setdefault(hit.id, hit)
        if lexical and len(found) > 1:
            rankings["lines"] = _by_best_line(
                list(found.values()), words, idf if idf is not None else self.query_idf(words)
            )
        if lexical and len(found) > len(vector):
            # The vector ranking covers every candidate, not just its own top ``candidates``: a chunk only
            # BM25 found (often a long reference section whose one line answers, its cosine diluted by
            # the rest) otherwise scores nothing on this side, as if it were the least similar of all.
            self._fill_similarity(list(found.values()), qvec)
            by_similarity = sorted(found.values(), key=lambda h: 2.0 if h.similarity is None else -h.similarity)
            rankings["vector"] = [h.id for h in by_similarity]
        for name, ids in rankings.items():
            weight = WEIGHTS[name]
            for rank, cid in enumerate(ids):
                found[cid].score += weight / (RRF_K + rank + 1)
                found[cid].sources.append(name)
        ordered = sorted(found.values(), key=lambda h: h.score, reverse=True)[:k]
        sims = sorted((h.similarity for h in vector if h.similarity is not None), reverse=True)
        best_sim = sims[0] if sims else 0.0
        rest = sims[LEAD_FROM:LEAD_TO]
        lead = best_sim - sum(rest) / len(rest) if rest else 0.0
        evidence = best_sim + best_cov + LEAD_WEIGHT * lead
        gate = best_sim >= SIM_FLOOR and evidence >= EVIDENCE
        relevant = gate if lexical else best_sim >= SIM_WEAK
        if page_keys:
            relevant = relevant or best_sim >= SIM_PAGE or best_cov >= PAGE_COVERAGE
        features = {"similarity": best_sim, "coverage": best_cov, "lead": lead, "evidence": evidence}
        tentative = not relevant and lexical and best_sim >= SIM_WEAK and evidence >= TENTATIVE_EVIDENCE
        return SearchResult(
            query,
            ordered,
            relevant,
            best_sim,
            best_cov,
            filters,
            time.perf_counter() - started,
            total,
            features,
            tentative,
        )

    def _fill_similarity(self, hits: list[Hit], qvec: Any) -> None:
        """Cosine similarity for hits only BM25 found (the gate weighs it): from the in-memory vectors,
        or, with a shared keyword index, from the Chroma server in one request."""
        missing = [h for h in hits if h.similarity is None]
        if not missing:
            return
        query = np.asarray(qvec, dtype=np.float32)
        if self.shared is not None:
            got = self.collection.get(ids=[h.id for h in missing], include=["embeddings"])
            vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
            for hit in missing:
                if hit.id in vectors:
                    hit.similarity = float(np.asarray(vectors[hit.id], dtype=np.float32) @ query)
            return
        for hit in missing:
            row = self._rows.get(hit.id)
            if self._vectors is not None and row is not None and row < len(self._vectors):
                hit.similarity = float(self._vectors[row] @ query)

    def _vector_subset(self, index: BM25Index, qvec: Any, filters: dict[str, Any], n: int) -> list[Hit]:
        """Exact cosine ranking over the filtered (or all) chunks, from the in-memory snapshot.

        Chroma's filtered HNSW query pre-filters on metadata and was the slowest part of a
        filtered search (p50 53 ms at 100,000 chunks); a filter leaves few chunks, and a matrix
        product over them takes well under a millisecond. Unfiltered, HNSW's approximate top 40
        once left out the chunk most similar to the question; below ``EXACT_MAX`` chunks the
        exact product costs about a millisecond and misses nothing.
        """
        mask = index.mask(filters)
        if self._vectors is None or len(self._vectors) != len(index.ids) or (filters and mask is None):
            return self._vector(qvec, filters, min(n, len(index)))
        rows = np.flatnonzero(mask) if mask is not None else np.arange(len(self._vectors))
        if rows.size == 0:
            return []
        sims = self._vectors[rows] @ np.asarray(qvec, dtype=np.float32)
        top = np.argsort(-sims, kind="stable")[:n]
        return [
            Hit(index.ids[rows[i]], self._documents[rows[i]], self._metadatas[rows[i]], 0.0, similarity=float(sims[i]))
            for i in top
        ]

    def _vector(self, qvec: Any, filters: dict[str, Any], n: int) -> list[Hit]:
        if n <= 0:
            return []
        if self.shared is not None:
            return self._shared_vector(qvec, filters, n)
        result = self.collection.query(
            query_embeddings=[qvec.tolist()],
            n_results=n,
            where=_where(filters),
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for cid, doc, meta, dist in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
        ):
            hits.append(Hit(cid, doc, meta, 0.0, similarity=1.0 - float(dist)))
        return hits

    def _shared_vector(
        self, qvec: Any, filters: dict[str, Any], n: int, pending_lexical: Future | None = None
    ) -> list[Hit]:
        """The server's nearest neighbours as ids and distances; their texts and metadata from the
        BM25 hits of ``pending_lexical`` where it found them too, else from PostgreSQL, which holds
        every chunk (Chroma's own copy only for rows it lacks)."""
        subset = self.shared.vectors(filters, FILTERED_EXACT_MAX) if filters else None
        if subset is not None:  # few chunks match: exact cosine over their vectors beats Chroma's filtered HNSW
            subset_ids, matrix = subset
            sims = matrix @ np.asarray(qvec, dtype=np.float32) if subset_ids else np.zeros(0)
            top = np.argsort(-sims, kind="stable")[:n]
            ids, distances = [subset_ids[i] for i in top], [1.0 - float(sims[i]) for i in top]
        else:
            result = self.collection.query(
                query_embeddings=[qvec.tolist()], n_results=n, where=_where(filters), include=["distances"]
            )
            ids, distances = result["ids"][0], result["distances"][0]
        records: dict[str, ChunkRecord] = {}
        if pending_lexical is not None:
            for hit in pending_lexical.result()[0]:
                records[hit.id] = ChunkRecord(hit.document, hit.metadata)
        records.update(self.shared.records([cid for cid in ids if cid not in records]))
        if missing := [cid for cid in ids if cid not in records]:
            got = self.collection.get(ids=missing, include=["documents", "metadatas"])
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                records[cid] = ChunkRecord(doc, meta)
        return [
            Hit(cid, records[cid].document, records[cid].metadata, 0.0, similarity=1.0 - float(dist))
            for cid, dist in zip(ids, distances, strict=True)
            if cid in records
        ]

    # --- pages ----------------------------------------------------------------------------------
    def page_chunks(self, page_key: str) -> list[Hit]:
        result = self.collection.get(where={"page_key": page_key}, include=["documents", "metadatas"])
        hits = [
            Hit(cid, doc, meta, 0.0)
            for cid, doc, meta in zip(result["ids"], result["documents"], result["metadatas"], strict=True)
        ]
        return sorted(hits, key=lambda h: int(h.metadata.get("chunk", 0)))


def _pages_of(metadatas: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for meta in metadatas:
        key = meta.get("page_key", "")
        if key not in out:
            base = str(meta.get("url", "")).split("#", 1)[0]
            out[key] = {
                "page_key": key,
                "title": meta.get("page_title", ""),
                "site_title": meta.get("site_title", ""),
                "url": base,
                "entity": meta.get("entity", ""),
                "page": meta.get("page", ""),
                "owner": meta.get("owner", ""),
            }
    return out


def best_line_share(text: str, weights: dict[str, float], heading: str = "") -> float:
    """The largest share of the query's term weight that one line of ``text`` holds, with its heading's words
    (a line under "Why the reindex runs out of memory" need not repeat them)."""
    total = sum(weights.values()) or 1.0
    context = _terms_of(heading)
    best = 0.0
    for line_terms in _line_terms(text):
        present = context | line_terms
        best = max(best, sum(w for t, w in weights.items() if t in present))
    return best / total


@functools.lru_cache(maxsize=8192)
def _line_terms(text: str) -> tuple[frozenset[str], ...]:
    """Each line's terms. Memoised: the same chunks come back as candidates query after query."""
    return tuple(frozenset(tokenize(line)) for line in text.splitlines())


@functools.lru_cache(maxsize=8192)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


def _by_best_line(hits: list[Hit], query: str, idf: dict[str, float]) -> list[str]:
    """Candidates ranked by their best single line: a third ranking for the fusion.

    BM25 and the vectors score a chunk as a whole, so a long CLI reference or option table whose one
    line answers (``--concurrent int  The number of concurrent reconciles (default 1)``) ranks below
    chunks that mention the words here and there. Ranking the candidates by the share of the
    question's term weight (idf) held by their best line lifts the chunk where the words meet.
    """
    unknown = max(idf.values(), default=1.0)  # ``idf`` holds every query term (``DocsStore.query_idf``)
    weights = {t: idf.get(t, unknown) for t in dict.fromkeys(tokenize(query))}
    scored = [(best_line_share(h.own_text or h.body, weights, str(h.metadata.get("heading", ""))), h.id) for h in hits]
    return [cid for share, cid in sorted(scored, key=lambda x: -x[0]) if share > 0]


def _where(filters: dict[str, Any]) -> dict[str, Any] | None:
    clauses = []
    for name, value in filters.items():
        if isinstance(value, list):
            clauses.append({name: {"$in": value}} if len(value) != 1 else {name: value[0]})
        else:
            clauses.append({name: value})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def snippet(hit: Hit, query: str, max_chars: int = 900) -> str:
    """The passage of a chunk that best answers ``query``: whole if short, else the best blocks."""
    text = hit.own_text.strip() or hit.body.strip()
    if len(text) <= max_chars:
        return text
    terms = set(tokenize(query))
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]

    def score(block: str) -> float:
        words = tokenize(block)
        return sum(1 for w in set(words) if w in terms) + 0.001 * min(len(words), 50)

    best = max(range(len(blocks)), key=lambda i: score(blocks[i]))
    chosen = [best]
    size = len(blocks[best])
    lo, hi = best - 1, best + 1
    while True:
        grew = False
        for j in (hi, lo):
            if 0 <= j < len(blocks) and j not in chosen and size + len(blocks[j]) + 2 <= max_chars:
                chosen.append(j)
                size += len(blocks[j]) + 2
                grew = True
        hi, lo = hi + 1, lo - 1
        if not grew or (lo < 0 and hi >= len(blocks)):
            break
    out = "\n\n".join(blocks[i] for i in sorted(chosen))
    if len(out) > max_chars and len(chosen) == 1 and not out.lstrip().startswith(("```", "|", "~~~")):
        sentences = re.split(r"(?<=[.!?])\s+", out)
        best_s = max(range(len(sentences)), key=lambda i: score(sentences[i]))
        picked, total = [best_s], len(sentences[best_s])
        nxt = best_s + 1
        while nxt < len(sentences) and total + len(sentences[nxt]) < max_chars:
            picked.append(nxt)
            total += len(sentences[nxt]) + 1
            nxt += 1
        out = " ".join(sentences[i] for i in picked)
        if len(out) > max_chars:
            out = out[: max_chars - 1].rstrip() + "…"
    return out
