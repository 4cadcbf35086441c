"""The keyword index shared by replicas: BM25 postings in PostgreSQL, next to a Chroma server.

Checked against what it replaces (the in-memory :class:`BM25Index`, scores within 1e-4) and in
the deployment it exists for: two replicas starting together index the pages once, and neither
holds the corpus in memory to search it.
"""

from __future__ import annotations

import threading

import pytest

from tests.support.docs import DATA, ctx, docs_runtime
from tools.docs.bm25 import BM25Index
from tools.docs.indexer import index_runtime
from tools.docs.keyword_pg import SharedKeywordIndex
from tools.docs.store import DocsStore

QUERIES = [
    "how many times are carrier label requests retried?",
    "REINDEX_BATCH_SIZE",
    "rotate the signing keys",
    "terminationGracePeriodSeconds for the worker",
    "who owns the payments ledger",
    "nothing-like-this-exists-anywhere",
]


@pytest.fixture()
def demo_records(tmp_path):
    runtime = docs_runtime(tmp_path / "embedded", catalog=[DATA / "catalog.yaml"])
    index_runtime(runtime)
    return DocsStore.for_runtime(runtime).all_records(("documents", "metadatas"))


def test_postgres_bm25_scores_equal_the_in_memory_index(demo_records, postgres_url):
    ids, documents, metadatas = demo_records["ids"], demo_records["documents"], demo_records["metadatas"]
    memory = BM25Index(ids, documents, metadatas, filter_fields=("entity", "owner", "system", "page_key"))
    shared = SharedKeywordIndex(postgres_url, "docs-test")
    try:
        shared.add(ids[:7], documents[:7], metadatas[:7])  # in two batches, as indexing adds them
        shared.add(ids[7:], documents[7:], metadatas[7:])
        assert len(shared) == len(ids)
        some_entity = metadatas[0]["entity"]
        for query in QUERIES:
            for where in (None, {"entity": some_entity}):
                expected = [(ids[i], score, cover) for i, score, cover in memory.search(query, 10, where)]
                got = [(h.id, h.score, h.coverage) for h in shared.search(query, 10, where)]
                assert [cid for cid, _, _ in got] == [cid for cid, _, _ in expected] or _tied(expected, got)
                by_id = {cid: (score, cover) for cid, score, cover in got}
                for cid, score, cover in expected:
                    if cid in by_id:
                        assert by_id[cid][0] == pytest.approx(score, abs=1e-4), (query, where, cid)
                        assert by_id[cid][1] == pytest.approx(cover, abs=1e-4), (query, where, cid)
        assert shared.search("nothing-like-this-exists-anywhere", 10) == []
        query_idf = shared.query_idf("carrier label")
        assert query_idf["carrier"] == pytest.approx(memory.idf["carrier"], abs=1e-9)

        shared.delete(ids[:3])  # deleting keeps the statistics exact
        rest = BM25Index(ids[3:], documents[3:], metadatas[3:])
        top = rest.search(QUERIES[0], 1)[0]
        assert shared.search(QUERIES[0], 1)[0].score == pytest.approx(top[1], abs=1e-4)
    finally:
        shared.close()


def _tied(expected: list, got: list) -> bool:
    """The same chunks with the same scores, where equal scores may come in another order."""
    return sorted(round(s, 4) for _, s, _ in expected) == sorted(round(s, 4) for _, s, _ in got)


def test_two_replicas_starting_together_index_once_and_search_postgres(tmp_path, chroma_server, postgres_url):
    replicas = [
        docs_runtime(
            tmp_path / f"replica-{n}",
            catalog=[DATA / "catalog.yaml"],
            chroma_url=chroma_server,
            database_url=postgres_url,
        )
        for n in (1, 2)
    ]
    reports = [None, None]

    def index(n: int) -> None:
        reports[n] = index_runtime(replicas[n])

    threads = [threading.Thread(target=index, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    first, second = sorted(reports, key=lambda r: -r.chunks_added)
    assert first.chunks_added == first.chunks_total > 5  # one replica embedded everything…
    assert second.chunks_added == 0 and second.pages_unchanged == 5  # …the other nothing
    assert second.chunks_total == first.chunks_total

    for runtime in replicas:
        store = DocsStore.for_runtime(runtime)
        assert store.keyword_where == "postgresql"
        result = runtime.tools["search_docs"].run(
            {"query": "how many times are carrier label requests retried?"}, ctx(runtime)
        )
        assert result.ok and result.data["relevant"]
        assert result.data["results"][0]["url"].endswith("/shipping-svc/carriers/#label-retries")
        assert store._bm25 is None  # the corpus was never read into this process for keyword search

    # a restarted replica finds the sources' fingerprint recorded: nothing to read back or embed
    assert DocsStore.for_runtime(replicas[1]).synced_fingerprint()
    again = index_runtime(replicas[1])
    assert again.chunks_added == 0 and again.pages_unchanged == 5


def test_the_scaled_out_search_finds_what_the_embedded_one_finds(tmp_path, chroma_server, postgres_url):
    """Chroma answers ids and distances only; texts, metadata and vectors come from PostgreSQL, and a
    filtered search is an exact cosine over the matching chunks' stored vectors. The hits, their
    similarities and the relevance verdict stay those of the embedded store."""
    runtime = docs_runtime(tmp_path / "embedded", catalog=[DATA / "catalog.yaml"])
    index_runtime(runtime)
    embedded = DocsStore.for_runtime(runtime)
    records = embedded.all_records(("documents", "metadatas", "embeddings"))
    shared = DocsStore(tmp_path / "app", chroma_server, keyword_url=postgres_url, collection="docs-parity")
    shared.add(records["ids"], records["documents"], records["metadatas"], records["embeddings"])
    owner = records["metadatas"][0]["owner"]
    try:
        for query in QUERIES:
            for filters in ({}, {"owner": owner}):
                want, got = embedded.search(query, k=5, **filters), shared.search(query, k=5, **filters)
                assert got.relevant == want.relevant, (query, filters)
                assert [h.id for h in got.hits] == [h.id for h in want.hits], (query, filters)
                for mine, theirs in zip(got.hits, want.hits, strict=True):
                    assert mine.document == theirs.document and mine.metadata == theirs.metadata
                    assert mine.similarity == pytest.approx(theirs.similarity, abs=1e-4), (query, filters, mine.id)
                if filters:
                    assert {h.metadata["owner"] for h in got.hits} == {owner}
        assert shared._bm25 is None
    finally:
        shared.shared.close()


def test_an_index_written_before_postgres_kept_vectors_is_still_searched(tmp_path, chroma_server, postgres_url):
    """Rows without a stored embedding (an index synced by an older release) are read from Chroma."""
    runtime = docs_runtime(tmp_path / "embedded", catalog=[DATA / "catalog.yaml"])
    index_runtime(runtime)
    records = DocsStore.for_runtime(runtime).all_records(("documents", "metadatas", "embeddings"))
    store = DocsStore(tmp_path / "app", chroma_server, keyword_url=postgres_url, collection="docs-legacy")
    store.collection.upsert(
        ids=records["ids"],
        documents=records["documents"],
        metadatas=records["metadatas"],
        embeddings=records["embeddings"],
    )
    store.shared.add(records["ids"], records["documents"], records["metadatas"])  # no embeddings
    try:
        unfiltered = store.search(QUERIES[0], k=3)
        owner = unfiltered.hits[0].metadata["owner"]
        for result in (unfiltered, store.search(QUERIES[0], k=3, owner=owner)):
            assert result.relevant and result.hits
            assert all(h.document and h.similarity is not None for h in result.hits)
        assert store.shared.vectors({"owner": owner}, 100) is None  # the exact path declines rows without vectors
    finally:
        store.shared.close()
