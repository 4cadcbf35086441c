"""Server mode: ``PORTAL_AGENT_CHROMA_URL`` makes the index use a real ``chroma run`` process."""

from __future__ import annotations

from tests.support.docs import DATA, ctx, docs_runtime
from tools.docs.indexer import index_runtime
from tools.docs.store import DocsStore


def test_index_and_search_against_a_chroma_server(tmp_path, chroma_server):
    runtime = docs_runtime(tmp_path / "data", catalog=[DATA / "catalog.yaml"], chroma_url=chroma_server)
    report = index_runtime(runtime)
    assert report.pages == 5 and report.chunks_total > 5
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded locally
    store = DocsStore.for_runtime(runtime)
    assert store.where == chroma_server

    result = runtime.tools["search_docs"].run(
        {"query": "how many times are carrier label requests retried?"}, ctx(runtime)
    )
    assert result.ok and result.data["relevant"]
    assert result.data["results"][0]["url"].endswith("/shipping-svc/carriers/#label-retries")

    # A second process (a fresh runtime) sees the same index on the server: nothing to re-embed.
    other = docs_runtime(tmp_path / "other", catalog=[DATA / "catalog.yaml"], chroma_url=chroma_server)
    again = index_runtime(other)
    assert again.pages_unchanged == 5 and again.chunks_added == 0
