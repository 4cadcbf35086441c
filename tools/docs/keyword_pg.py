"""The keyword side of docs search, shared by every replica: BM25 over postings in PostgreSQL.

With a Chroma server (``PORTAL_AGENT_CHROMA_URL``) the vectors live on the server, but the
in-memory BM25 of :mod:`tools.docs.bm25` would still make every replica read and hold the whole
corpus. When the deployment's database is PostgreSQL (``PORTAL_AGENT_DATABASE_URL``), the chunks'
terms go there instead, tokenized exactly as in memory (identifiers kept whole and split, crude
stems), and a search is one SQL statement:

- ``docs_chunks``: one row per chunk (text, metadata, term count, lower-cased filter fields, and
  its embedding as float32 bytes). The copy of the vector makes Chroma a pure nearest-neighbour
  index: a vector query asks it for ids and distances only, and texts, metadata and the vectors of
  chunks only BM25 found come from here (Chroma's documents and metadatas cost 11 ms of a 19 ms
  query at 100,000 chunks; a lookup by primary key costs about one);
- ``docs_postings``: (term, chunk, tf, chunk length), indexed by an approximate BM25 impact so the
  best ``DEPTH`` postings of a term are read first, as a textbook "champion list". The index
  includes the columns a search reads, so it is an index-only scan once the table is vacuumed
  (after each sync): at 100,000 chunks the statement went from 89 ms (a heap page per posting)
  to 19 ms;
- ``docs_terms``: each term's document frequency, for the idf;
- ``docs_index_state``: chunk count, total length, a version bumped on every change, and the
  fingerprint of the sources last synced (so the replicas that start together index once).

Scores are exact BM25 (same k1, b, idf and average length as :class:`~tools.docs.bm25.BM25Index`)
for the chunks the champion lists reach; with filters every matching chunk is scored. The share
of the query's term weight a chunk holds (the relevance gate's "coverage") is computed exactly for
the returned chunks. PostgreSQL's own ``tsvector`` ranking was not used: its parser splits
``REINDEX_BATCH_SIZE`` and ``terminationGracePeriodSeconds`` differently from the in-memory index,
and ``ts_rank`` has no idf, so the relevance gate calibrated on BM25 would not carry over.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.docs.bm25 import tokenize

K1, B = 1.2, 0.75
DEPTH = 2000  # postings read per query term (unfiltered); a term in fewer chunks is read whole
REFERENCE_LENGTH = 100.0  # the length the champion order assumes; scores use the real average
FILTER_FIELDS = ("entity", "owner", "system", "page_key")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS docs_chunks (
    collection TEXT NOT NULL, id TEXT NOT NULL, length INTEGER NOT NULL,
    document TEXT NOT NULL, metadata JSONB NOT NULL,
    entity TEXT NOT NULL, owner TEXT NOT NULL, system TEXT NOT NULL, page_key TEXT NOT NULL,
    embedding BYTEA, PRIMARY KEY (collection, id));
ALTER TABLE docs_chunks ADD COLUMN IF NOT EXISTS embedding BYTEA;
CREATE INDEX IF NOT EXISTS docs_chunks_entity ON docs_chunks (collection, entity);
CREATE INDEX IF NOT EXISTS docs_chunks_owner ON docs_chunks (collection, owner);
CREATE INDEX IF NOT EXISTS docs_chunks_system ON docs_chunks (collection, system);
CREATE INDEX IF NOT EXISTS docs_chunks_page ON docs_chunks (collection, page_key);
CREATE TABLE IF NOT EXISTS docs_postings (
    collection TEXT NOT NULL, term TEXT NOT NULL, id TEXT NOT NULL, tf REAL NOT NULL, length REAL NOT NULL,
    PRIMARY KEY (collection, id, term));
DROP INDEX IF EXISTS docs_postings_champions;
CREATE INDEX IF NOT EXISTS docs_postings_champions_covering
    ON docs_postings (collection, term, (tf / (tf + {K1} * (1 - {B} + {B} * length / {REFERENCE_LENGTH}))) DESC)
    INCLUDE (id, tf, length);
CREATE TABLE IF NOT EXISTS docs_terms (
    collection TEXT NOT NULL, term TEXT NOT NULL, df INTEGER NOT NULL, PRIMARY KEY (collection, term));
CREATE TABLE IF NOT EXISTS docs_index_state (
    collection TEXT PRIMARY KEY, chunks BIGINT NOT NULL DEFAULT 0, total_length BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0, fingerprint TEXT NOT NULL DEFAULT '')
"""
CHAMPION_ORDER = f"(tf / (tf + {K1} * (1 - {B} + {B} * length / {REFERENCE_LENGTH})))"


@dataclass
class LexicalHit:
    id: str
    document: str
    metadata: dict[str, Any]
    score: float
    coverage: float  # share of the query's term weight this chunk holds
    vector: np.ndarray | None = None  # the chunk's embedding, where the index holds it


@dataclass
class ChunkRecord:
    document: str
    metadata: dict[str, Any]


def _vector(raw: bytes | None) -> np.ndarray | None:
    return None if raw is None else np.frombuffer(raw, dtype=np.float32)


def _lock_key(name: str) -> int:
    import zlib

    key = (zlib.crc32(name.encode()) << 32) | zlib.crc32(name[::-1].encode())
    return key - (1 << 64) if key >= 1 << 63 else key


class SharedKeywordIndex:
    """BM25 postings in PostgreSQL for one docs collection; thread-safe (a small connection pool)."""

    def __init__(self, url: str, collection: str):
        from psycopg_pool import ConnectionPool

        self.collection = collection
        self.pool = ConnectionPool(url, min_size=1, max_size=4, kwargs={"autocommit": True}, open=True)
        self.pool.wait(timeout=30)
        self._lock = threading.Lock()
        with self.pool.connection() as conn, conn.transaction():
            # replicas starting together would race on CREATE … IF NOT EXISTS; the first creates
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("portal-agent:migrations"),))
            for statement in filter(None, (s.strip() for s in SCHEMA.split(";"))):
                conn.execute(statement)
            conn.execute("INSERT INTO docs_index_state (collection) VALUES (%s) ON CONFLICT DO NOTHING", (collection,))

    def close(self) -> None:
        self.pool.close()

    # --- state -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT chunks, total_length, version, fingerprint FROM docs_index_state WHERE collection = %s",
                (self.collection,),
            ).fetchone()
        chunks, total, version, fingerprint = row or (0, 0, 0, "")
        return {"chunks": int(chunks), "total_length": int(total), "version": int(version), "fingerprint": fingerprint}

    def __len__(self) -> int:
        return self.state()["chunks"]

    def mark_synced(self, fingerprint: str) -> None:
        """Record the synced sources, and vacuum the postings so searches read the index alone."""
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE docs_index_state SET fingerprint = %s WHERE collection = %s", (fingerprint, self.collection)
            )
            conn.execute("VACUUM (ANALYZE) docs_postings")

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One indexing run at a time across every replica (a session advisory lock, freed if we die)."""
        with self.pool.connection() as conn:
            key = _lock_key(f"portal-agent:docs-index:{self.collection}")
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    # --- writes ----------------------------------------------------------------------------------
    def add(
        self, ids: Sequence[str], documents: Sequence[str], metadatas: Sequence[dict], embeddings: Any = None
    ) -> None:
        """Insert or replace chunks (what Chroma's upsert does on the vector side), with their
        embeddings when given."""
        chunk_rows, posting_rows, dfs, total = [], [], Counter(), 0
        vectors = [None] * len(ids) if embeddings is None else embeddings
        for cid, doc, meta, vector in zip(ids, documents, metadatas, vectors, strict=True):
            counts = Counter(tokenize(doc))
            length = sum(counts.values())
            total += length
            fields = [str(meta.get(name, "") or "").lower() for name in FILTER_FIELDS]
            raw = None if vector is None else np.asarray(vector, dtype=np.float32).tobytes()
            chunk_rows.append((self.collection, cid, length, doc, json.dumps(meta), *fields, raw))
            posting_rows.extend((self.collection, term, cid, tf, length) for term, tf in counts.items())
            dfs.update(counts.keys())
        with self.pool.connection() as conn, conn.transaction():
            self._delete(conn, list(ids))
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY docs_chunks (collection, id, length, document, metadata, entity, owner, system, page_key,"
                    " embedding) FROM STDIN"
                ) as copy:
                    for row in chunk_rows:
                        copy.write_row(row)
                with cur.copy("COPY docs_postings (collection, term, id, tf, length) FROM STDIN") as copy:
                    for row in posting_rows:
                        copy.write_row(row)
            conn.execute(
                "INSERT INTO docs_terms (collection, term, df)"
                " SELECT %s, t, d FROM unnest(%s::text[], %s::int[]) AS x(t, d)"
                " ON CONFLICT (collection, term) DO UPDATE SET df = docs_terms.df + EXCLUDED.df",
                (self.collection, list(dfs.keys()), list(dfs.values())),
            )
            conn.execute(
                "UPDATE docs_index_state SET chunks = chunks + %s, total_length = total_length + %s,"
                " version = version + 1 WHERE collection = %s",
                (len(chunk_rows), total, self.collection),
            )

    def delete(self, ids: Sequence[str]) -> None:
        with self.pool.connection() as conn, conn.transaction():
            self._delete(conn, list(ids))

    def _delete(self, conn: Any, ids: list[str]) -> None:
        if not ids:
            return
        c = self.collection
        gone = conn.execute(
            "DELETE FROM docs_chunks WHERE collection = %s AND id = ANY(%s) RETURNING length", (c, ids)
        ).fetchall()
        if not gone:
            return
        conn.execute(
            "UPDATE docs_terms t SET df = t.df - d.n FROM (SELECT term, count(*) AS n FROM docs_postings"
            " WHERE collection = %s AND id = ANY(%s) GROUP BY term) d WHERE t.collection = %s AND t.term = d.term",
            (c, ids, c),
        )
        conn.execute("DELETE FROM docs_terms WHERE collection = %s AND df <= 0", (c,))
        conn.execute("DELETE FROM docs_postings WHERE collection = %s AND id = ANY(%s)", (c, ids))
        conn.execute(
            "UPDATE docs_index_state SET chunks = chunks - %s, total_length = total_length - %s,"
            " version = version + 1 WHERE collection = %s",
            (len(gone), sum(int(r[0]) for r in gone), c),
        )

    def reset(self) -> None:
        with self.pool.connection() as conn, conn.transaction():
            for table in ("docs_postings", "docs_terms", "docs_chunks"):
                conn.execute(f"DELETE FROM {table} WHERE collection = %s", (self.collection,))
            conn.execute(
                "UPDATE docs_index_state SET chunks = 0, total_length = 0, version = version + 1, fingerprint = ''"
                " WHERE collection = %s",
                (self.collection,),
            )

    # --- reads -----------------------------------------------------------------------------------
    def query_idf(self, query: str) -> dict[str, float]:
        """idf of every term of ``query``; a term no chunk holds gets the largest idf there can be."""
        terms = list(dict.fromkeys(tokenize(query)))
        idf, _, _ = self._idf(terms)
        return idf

    def _idf(self, terms: list[str]) -> tuple[dict[str, float], dict[str, float], dict[str, Any]]:
        """(idf of every term, idf of the terms some chunk holds, the index state)."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT term, df FROM docs_terms WHERE collection = %s AND term = ANY(%s)", (self.collection, terms)
            ).fetchall()
        state = self.state()
        n = state["chunks"]
        known = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in rows}
        unseen = math.log(1 + (n - 1 + 0.5) / 1.5) if n else 1.0
        return {t: known.get(t, unseen) for t in terms}, known, state

    def search(
        self, query: str, n: int, where: dict[str, Any] | None = None, idf_out: dict[str, float] | None = None
    ) -> list[LexicalHit]:
        """The ``n`` best chunks by BM25 (``where``: lower-cased field → value or list of values);
        ``idf_out`` is filled with the query's idf (what :meth:`query_idf` returns)."""
        terms = list(dict.fromkeys(tokenize(query)))
        if not terms:
            return []
        idf, known, state = self._idf(terms)
        if idf_out is not None:
            idf_out.update(idf)
        if not known or not state["chunks"]:
            return []
        chunks = state["chunks"]
        weight_total = sum(known.get(t, math.log(1 + chunks)) for t in terms)
        avgdl = max(state["total_length"] / chunks, 1e-9)
        score = f"q.idf * p.tf * {K1 + 1} / (p.tf + {K1} * (1 - {B} + {B} * p.length / %(avgdl)s))"
        params: dict[str, Any] = {
            "c": self.collection,
            "terms": list(known),
            "idfs": list(known.values()),
            "avgdl": avgdl,
            "n": n,
            "depth": DEPTH,
        }
        if where:
            conditions, condition_params = self._conditions(where)
            params.update(condition_params)
            top = (
                f"SELECT p.id, sum({score}) AS score FROM docs_chunks c"
                " JOIN docs_postings p ON p.collection = c.collection AND p.id = c.id"
                " JOIN q ON q.term = p.term"
                f" WHERE c.collection = %(c)s AND {conditions}"
                " GROUP BY p.id ORDER BY score DESC LIMIT %(n)s"
            )
        else:
            top = (
                f"SELECT p.id, sum({score}) AS score FROM q CROSS JOIN LATERAL ("
                " SELECT id, tf, length FROM docs_postings WHERE collection = %(c)s AND term = q.term"
                f" ORDER BY {CHAMPION_ORDER} DESC LIMIT %(depth)s) p"
                " GROUP BY p.id ORDER BY score DESC LIMIT %(n)s"
            )
        sql = (
            "WITH q(term, idf) AS (SELECT * FROM unnest(%(terms)s::text[], %(idfs)s::float8[])),"
            f" top AS ({top})"
            " SELECT top.id, top.score, c.document, c.metadata, c.embedding,"
            "  (SELECT coalesce(sum(q.idf), 0) FROM q JOIN docs_postings x ON x.term = q.term"
            "   WHERE x.collection = %(c)s AND x.id = top.id) AS matched"
            " FROM top JOIN docs_chunks c ON c.collection = %(c)s AND c.id = top.id"
            " ORDER BY top.score DESC, top.id"
        )
        with self.pool.connection() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [
            LexicalHit(
                cid,
                document,
                metadata,
                float(value),
                float(matched) / weight_total if weight_total else 0.0,
                _vector(embedding),
            )
            for cid, value, document, metadata, embedding, matched in rows
        ]

    def vectors(self, where: dict[str, Any], limit: int) -> tuple[list[str], np.ndarray] | None:
        """(ids, embeddings matrix) of the chunks matching ``where``; None when more than ``limit``
        match or some lack a stored embedding (then the vector index must answer)."""
        conditions, params = self._conditions(where)
        with self.pool.connection() as conn:
            rows = conn.execute(  # binary: bytea as text is hex, and decoding it cost more than the query
                f"SELECT id, embedding FROM docs_chunks c WHERE collection = %(c)s AND {conditions}"
                " ORDER BY id LIMIT %(limit)s",
                {**params, "c": self.collection, "limit": limit + 1},
                binary=True,
            ).fetchall()
        if len(rows) > limit or any(raw is None for _, raw in rows):
            return None
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [cid for cid, _ in rows], np.frombuffer(b"".join(raw for _, raw in rows), dtype=np.float32).reshape(
            len(rows), -1
        )

    @staticmethod
    def _conditions(where: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """SQL conditions on ``docs_chunks c`` for lower-cased filter fields, with their parameters."""
        conditions, params = [], {}
        for i, (name, value) in enumerate(where.items()):
            if name not in FILTER_FIELDS:
                raise ValueError(f"unknown docs filter {name!r}")
            params[f"f{i}"] = [str(v).lower() for v in (value if isinstance(value, list) else [value])]
            conditions.append(f"c.{name} = ANY(%(f{i})s)")
        return " AND ".join(conditions), params

    def records(self, ids: Sequence[str]) -> dict[str, ChunkRecord]:
        """Text and metadata of the chunks ``ids`` (those the index holds)."""
        if not ids:
            return {}
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT id, document, metadata FROM docs_chunks WHERE collection = %s AND id = ANY(%s)",
                (self.collection, list(ids)),
            ).fetchall()
        return {cid: ChunkRecord(document, metadata) for cid, document, metadata in rows}

    def pages(self) -> list[dict[str, Any]]:
        """The metadata of each page's first chunk (for listing pages without reading every chunk)."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (page_key) metadata FROM docs_chunks WHERE collection = %s"
                " ORDER BY page_key, (metadata->>'chunk')::int NULLS LAST",
                (self.collection,),
            ).fetchall()
        return [row[0] for row in rows]
