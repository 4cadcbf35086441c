"""Docs search latency at 100,000 chunks: p50/p95/p99 of ``DocsStore.search`` in a warm process.

Each timed search includes everything a real one does: embedding the query with MiniLM, the
Chroma HNSW query, BM25 over all chunks, fusion. Embedding 100,000 chunks would take most of an
hour on a 2-core machine, so the corpus is synthesised deterministically from the real demo
chunks: each synthetic chunk is a real chunk's text with words swapped in from the corpus
vocabulary, and its vector is the real chunk's vector plus Gaussian noise (re-normalised); entity,
owner and system are spread over 2,000 fake entities. Queries are the eval questions.

    .venv/bin/python benchmarks/docs_search_latency.py [--chunks 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def build(n: int, workdir: Path):
    from agent.runtime import Runtime
    from contract.settings import Settings
    from tools.docs import family
    from tools.docs.indexer import index_runtime
    from tools.docs.store import DocsStore

    demo = Runtime(Settings(data_dir=workdir / "demo", demo=True), builtin_families=False, extra_families=[family])
    index_runtime(demo)
    seed = DocsStore.for_runtime(demo).all_records(("documents", "metadatas", "embeddings"))
    docs, metas = seed["documents"], seed["metadatas"]
    vectors = np.asarray(seed["embeddings"], dtype=np.float32)
    vocab = sorted({w for d in docs for w in d.split() if w.isalpha() and len(w) > 3})
    rng = np.random.default_rng(42)
    store = DocsStore(workdir / "big")
    if store.count() >= n:
        return store
    store.reset()
    batch = 5000
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        size = min(batch, n - start)
        src = rng.integers(0, len(docs), size)
        noise = rng.normal(0, 0.035, (size, vectors.shape[1])).astype(np.float32)
        emb = vectors[src] + noise
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        ids, texts, metadatas = [], [], []
        for j, s in enumerate(src):
            words = docs[s].split()
            for k in rng.integers(0, len(words), max(1, len(words) // 5)):
                words[k] = vocab[rng.integers(0, len(vocab))]
            i = start + j
            entity = f"component:default/svc-{i % 2000}"
            ids.append(f"syn-{i}")
            texts.append(" ".join(words))
            metadatas.append(
                {
                    **metas[s],
                    "entity": entity,
                    "owner": f"group:default/team-{i % 60}",
                    "system": f"system:default/sys-{i % 150}",
                    "page_key": f"{entity}::p{i % 7}.md",
                }
            )
        store.add(ids, texts, metadatas, emb.tolist())
        print(f"  added {start + size:,} chunks ({time.perf_counter() - t0:.0f} s)", flush=True)
    store.changed()
    return store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--workdir", type=Path, default=None, help="reuse a corpus built earlier")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="docs-latency-"))
    print(f"building {args.chunks:,} chunks in {workdir} …")
    store = build(args.chunks, workdir)
    t0 = time.perf_counter()
    index = store.bm25()
    print(
        f"index: {store.count():,} chunks in Chroma; BM25 built in {time.perf_counter() - t0:.1f} s "
        f"({len(index.postings):,} terms)"
    )

    from tools.docs.embedding import encode

    questions = [c["question"] for c in yaml.safe_load((ROOT / "evals/datasets/docs.yaml").read_text())]
    for q in questions[:20]:  # warm-up: model, HNSW pages, caches
        store.search(q)
    totals, embeds, filtered = [], [], []
    for i in range(args.queries):
        q = questions[i % len(questions)]
        t = time.perf_counter()
        encode([q])
        embeds.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = store.search(q, k=5)
        totals.append(time.perf_counter() - t)
        assert result.hits
    for i in range(args.queries // 3):
        q = questions[i % len(questions)]
        t = time.perf_counter()
        store.search(q, k=5, owner=f"group:default/team-{i % 60}")
        filtered.append(time.perf_counter() - t)

    def ms(values: list[float], q: float) -> str:
        return f"{1000 * _percentile(values, q):.1f}"

    print(f"\nsearch over {store.count():,} chunks, warm process, 2-core machine, {len(totals)} queries")
    print(f"{'':<36}{'p50':>8}{'p95':>8}{'p99':>8}  (ms)")
    print(f"{'hybrid search incl. query embedding':<36}{ms(totals, 50):>8}{ms(totals, 95):>8}{ms(totals, 99):>8}")
    print(f"{'  of which query embedding alone':<36}{ms(embeds, 50):>8}{ms(embeds, 95):>8}{ms(embeds, 99):>8}")
    print(f"{'hybrid search with an owner filter':<36}{ms(filtered, 50):>8}{ms(filtered, 95):>8}{ms(filtered, 99):>8}")
    print(
        f"mean {1000 * statistics.mean(totals):.1f} ms; bar p95 <= 50 ms: "
        f"{'met' if _percentile(totals, 95) <= 0.050 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
