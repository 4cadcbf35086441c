"""Docs search latency at 100,000 chunks: p50/p95/p99 of ``DocsStore.search`` in a warm process.

Each timed search includes everything a real one does: embedding the query with MiniLM, the
Chroma HNSW query, BM25 over all chunks, fusion. Embedding 100,000 chunks would take most of an
hour on a 2-core machine, so the corpus is synthesised deterministically from the real demo
chunks: each synthetic chunk is a real chunk's text with words swapped in from the corpus
vocabulary, and its vector is the real chunk's vector plus Gaussian noise (re-normalised); entity,
owner and system are spread over 2,000 fake entities. Queries are the eval questions.

    .venv/bin/python -m benchmarks.docs_search_latency [--chunks 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from benchmarks._common import ROOT, Figure, main


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def build(n: int, workdir: Path, store=None):
    """``store`` (default: an embedded one in ``workdir/big``) filled with ``n`` synthetic chunks."""
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
    store = store or DocsStore(workdir / "big")
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


def run(
    quick: bool = False, chunks: int | None = None, queries: int | None = None, workdir: Path | None = None
) -> list[Figure]:
    chunks = chunks or (2_000 if quick else 100_000)
    workdir = workdir or Path(tempfile.mkdtemp(prefix="docs-latency-"))
    print(f"building {chunks:,} chunks in {workdir} …")
    store = build(chunks, workdir)
    t0 = time.perf_counter()
    index = store.bm25()
    print(
        f"index: {store.count():,} chunks in Chroma; BM25 built in {time.perf_counter() - t0:.1f} s "
        f"({len(index.postings):,} terms)"
    )
    return measure(store, queries or (20 if quick else 300))


def measure(store, queries: int, prefix: str = "") -> list[Figure]:
    """Timed searches (unfiltered, then with an owner filter) and the process's memory after them."""
    from tools.docs.embedding import encode

    raw = yaml.safe_load((ROOT / "evals/datasets/docs.yaml").read_text())
    questions = [c["question"] for c in (raw["cases"] if isinstance(raw, dict) else raw)]
    for q in questions[:20]:  # warm-up: model, HNSW pages, caches
        store.search(q)
    totals, embeds, filtered = [], [], []
    for i in range(queries):
        q = questions[i % len(questions)]
        t = time.perf_counter()
        encode([q])
        embeds.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = store.search(q, k=5)
        totals.append(time.perf_counter() - t)
        assert result.hits
    for i in range(queries // 3):
        q = questions[i % len(questions)]
        t = time.perf_counter()
        store.search(q, k=5, owner=f"group:default/team-{i % 60}")
        filtered.append(time.perf_counter() - t)

    def ms(values: list[float], q: float) -> str:
        return f"{1000 * _percentile(values, q):.1f}"

    rss = _rss_mib()
    print(f"\nsearch over {store.count():,} chunks, warm process, {len(totals)} queries")
    print(f"{'':<36}{'p50':>8}{'p95':>8}{'p99':>8}  (ms)")
    print(f"{'hybrid search incl. query embedding':<36}{ms(totals, 50):>8}{ms(totals, 95):>8}{ms(totals, 99):>8}")
    print(f"{'  of which query embedding alone':<36}{ms(embeds, 50):>8}{ms(embeds, 95):>8}{ms(embeds, 99):>8}")
    print(f"{'hybrid search with an owner filter':<36}{ms(filtered, 50):>8}{ms(filtered, 95):>8}{ms(filtered, 99):>8}")
    print(f"mean {1000 * statistics.mean(totals):.1f} ms; app memory (RSS) {rss:.0f} MiB")
    return [
        Figure(f"{prefix}chunks", store.count(), "chunks"),
        Figure(f"{prefix}search p50 incl. query embedding", 1000 * _percentile(totals, 50), "ms"),
        Figure(f"{prefix}search p95 incl. query embedding", 1000 * _percentile(totals, 95), "ms"),
        Figure(f"{prefix}search p99 incl. query embedding", 1000 * _percentile(totals, 99), "ms"),
        Figure(f"{prefix}query embedding p95", 1000 * _percentile(embeds, 95), "ms"),
        Figure(f"{prefix}search p95 with an owner filter", 1000 * _percentile(filtered, 95), "ms"),
        Figure(f"{prefix}app memory (RSS)", rss, "MiB"),
    ]


def _rss_mib() -> float:
    """The process's resident memory now (``VmRSS``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, help="corpus size (default 100,000; 2,000 with --quick)")
    parser.add_argument("--queries", type=int, help="timed searches (default 300; 20 with --quick)")
    parser.add_argument("--workdir", type=Path, help="reuse a corpus built earlier")
    return parser


if __name__ == "__main__":
    main(run, options())
