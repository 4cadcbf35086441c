"""Docs indexing throughput (chunks per second) on this machine.

Two figures, both with the embedding model already loaded (its one-off load is printed apart):
1. the demo TechDocs, indexed from scratch end to end (discover, read, parse, chunk, embed, store);
2. embedding + storing 2,000 chunks of realistic size (demo chunks, varied), the steady-state rate.

    .venv/bin/python benchmarks/docs_indexing.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from agent.config import Settings
    from agent.runtime import Runtime
    from tools.docs import family
    from tools.docs.embedding import encode
    from tools.docs.indexer import index_runtime
    from tools.docs.store import DocsStore

    t0 = time.perf_counter()
    encode(["load the model"])
    print(f"model load: {time.perf_counter() - t0:.1f} s (once per process)")

    tmp = Path(tempfile.mkdtemp(prefix="docs-indexing-"))
    runtime = Runtime(Settings(data_dir=tmp / "demo", demo=True), builtin_families=False, extra_families=[family])
    t0 = time.perf_counter()
    report = index_runtime(runtime)
    total = time.perf_counter() - t0
    print(
        f"demo docs from scratch: {report.pages} pages, {report.chunks_added} chunks in {total:.1f} s "
        f"= {report.chunks_added / total:.1f} chunks/s end to end "
        f"(embedding+storing {report.chunks_per_second:.1f} chunks/s)"
    )
    t0 = time.perf_counter()
    again = index_runtime(runtime)
    print(f"re-index with nothing changed: {again.pages_unchanged} pages unchanged in {time.perf_counter() - t0:.2f} s")

    records = DocsStore.for_runtime(runtime).all_records(("documents", "metadatas"))
    rng = random.Random(7)
    docs = [records["documents"][rng.randrange(len(records["documents"]))] + f" (variant {i})" for i in range(2000)]
    store = DocsStore(tmp / "bulk")
    t0 = time.perf_counter()
    for start in range(0, len(docs), 128):
        batch = docs[start : start + 128]
        vectors = encode(batch)
        store.add(
            [f"c{start + i}" for i in range(len(batch))],
            batch,
            [{"page_key": "bulk", "entity": ""} for _ in batch],
            [v.tolist() for v in vectors],
        )
    seconds = time.perf_counter() - t0
    print(
        f"steady state: {len(docs)} chunks embedded and stored in {seconds:.1f} s "
        f"= {len(docs) / seconds:.1f} chunks/s (2-core machine)"
    )


if __name__ == "__main__":
    main()
