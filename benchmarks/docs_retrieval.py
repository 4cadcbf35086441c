"""Docs retrieval quality on ``evals/datasets/docs.yaml``: ours (hybrid) vs a vector-only baseline.

Both index the same chunks of the demo TechDocs with the same bundled MiniLM embeddings. The
baseline is LangChain's ``Chroma`` vector store (``similarity_search``); ours is
``tools.docs.store.DocsStore.search`` (vectors + BM25, fused with RRF). A case is a
hit when a chunk of the page it names is in the top 5; MRR uses the rank of the first such chunk.
Heading recall@5 requires the named heading too. The relevance gate is scored on the positive
cases (should be relevant) and the cases without a page (should be "not documented").

    .venv/bin/python -m benchmarks.docs_retrieval
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from benchmarks._common import ROOT, Figure, main

DATASET = ROOT / "evals" / "datasets" / "docs.yaml"
K = 5


def _matches(meta: dict, case: dict, heading: bool = False) -> bool:
    if not str(meta.get("entity", "")).endswith("/" + case["entity"]) or meta.get("page") != case["page"]:
        return False
    return not heading or meta.get("heading", "").split(" › ")[-1] == case["heading"]


def _score(ranked: list[list[dict]], cases: list[dict]) -> dict[str, float]:
    recall = heading_recall = mrr = 0.0
    for metas, case in zip(ranked, cases, strict=True):
        ranks = [i for i, m in enumerate(metas[:K]) if _matches(m, case)]
        if ranks:
            recall += 1
            mrr += 1.0 / (ranks[0] + 1)
        if any(_matches(m, case, heading=True) for m in metas[:K]):
            heading_recall += 1
    n = len(cases)
    return {"recall@5": recall / n, "heading_recall@5": heading_recall / n, "mrr": mrr / n}


class _LCEmbeddings:
    """LangChain ``Embeddings`` over the same bundled MiniLM."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        from tools.docs.embedding import encode

        return [v.tolist() for v in encode(texts)]

    def embed_query(self, text: str) -> list[float]:
        from tools.docs.embedding import encode

        return encode([text])[0].tolist()


def run(quick: bool = False) -> list[Figure]:
    """The same in quick mode: the demo TechDocs are small."""
    from langchain_chroma import Chroma

    from agent.runtime import Runtime
    from contract.settings import Settings
    from tools.docs import family
    from tools.docs.indexer import index_runtime
    from tools.docs.store import DocsStore

    raw = yaml.safe_load(DATASET.read_text())
    cases = raw["cases"] if isinstance(raw, dict) else raw  # a plain list, or a mapping with its threshold
    positives = [c for c in cases if c.get("page")]
    negatives = [c for c in cases if not c.get("page")]
    tmp = Path(tempfile.mkdtemp(prefix="docs-bench-"))
    runtime = Runtime(Settings(data_dir=tmp, demo=True), builtin_families=False, extra_families=[family])
    report = index_runtime(runtime)
    store = DocsStore.for_runtime(runtime)
    records = store.all_records(("documents", "metadatas"))
    print(f"indexed {report.pages} pages, {report.chunks_total} chunks from {report.sites} sites")

    baseline = Chroma(
        collection_name="baseline",
        embedding_function=_LCEmbeddings(),
        persist_directory=str(tmp / "baseline"),
        collection_metadata={"hnsw:space": "cosine"},
    )
    baseline.add_texts(records["documents"], metadatas=records["metadatas"], ids=records["ids"])

    ours, base, relevant_pos = [], [], 0
    t0 = time.perf_counter()
    for case in positives:
        result = store.search(case["question"], k=K)
        ours.append([h.metadata for h in result.hits])
        relevant_pos += result.relevant
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for case in positives:
        base.append([d.metadata for d in baseline.similarity_search(case["question"], k=K)])
    base_s = time.perf_counter() - t0
    relevant_neg = sum(store.search(c["question"], k=K).relevant for c in negatives)

    ours_scores, base_scores = _score(ours, positives), _score(base, positives)
    print(f"\n{len(positives)} questions with a named page, k={K}")
    print(f"{'system':<34}{'recall@5':>10}{'heading r@5':>13}{'MRR':>8}{'ms/query':>10}")
    print(
        f"{'ours: hybrid (vector+BM25, RRF)':<34}{ours_scores['recall@5']:>10.3f}"
        f"{ours_scores['heading_recall@5']:>13.3f}{ours_scores['mrr']:>8.3f}{1000 * ours_s / len(positives):>10.1f}"
    )
    print(
        f"{'baseline: langchain_chroma vector':<34}{base_scores['recall@5']:>10.3f}"
        f"{base_scores['heading_recall@5']:>13.3f}{base_scores['mrr']:>8.3f}{1000 * base_s / len(positives):>10.1f}"
    )
    print(
        f"\nrelevance gate: {relevant_pos}/{len(positives)} answerable questions judged relevant; "
        f"{len(negatives) - relevant_neg}/{len(negatives)} unanswerable judged 'not documented'"
    )
    misses = [c["id"] for c, m in zip(positives, ours, strict=True) if not any(_matches(x, c) for x in m[:K])]
    if misses:
        print("ours missed:", ", ".join(misses))
    better = ours_scores["recall@5"] > base_scores["recall@5"] or (
        ours_scores["recall@5"] == base_scores["recall@5"] and ours_scores["mrr"] > base_scores["mrr"]
    )
    print("ours better than baseline:", "yes" if better else "NO")
    return [
        Figure("recall@5", ours_scores["recall@5"], "ratio"),
        Figure("heading recall@5", ours_scores["heading_recall@5"], "ratio"),
        Figure("MRR", ours_scores["mrr"], "ratio"),
        Figure("search", 1000 * ours_s / len(positives), "ms/query"),
        Figure("baseline recall@5", base_scores["recall@5"], "ratio"),
        Figure("baseline MRR", base_scores["mrr"], "ratio"),
        Figure("gate: answerable judged relevant", relevant_pos / len(positives), "ratio"),
        Figure("gate: unanswerable rejected", (len(negatives) - relevant_neg) / len(negatives), "ratio"),
    ]


if __name__ == "__main__":
    main(run)
