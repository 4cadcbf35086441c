"""Docs indexing throughput, sentence-transformers (torch) against ONNX Runtime int8, in one run.

For each embedding backend, in this one process and with its model already loaded (load times are
printed apart), a real mkdocs site is indexed from scratch into a temporary directory by the
project's own indexer — discover, read, parse, chunk, embed, store — and its chunks, seconds and
chunks per second are printed, end to end and for embedding + storing alone. Rounds alternate the
backends so that a change in the machine's load hits both. Retrieval quality is then measured per
backend the way ``benchmarks/docs_retrieval.py`` does (recall@5, heading recall@5, MRR and the
relevance gate on ``evals/datasets/docs.yaml`` over the demo TechDocs), each over its own index.

    .venv/bin/python -m benchmarks.docs_indexing [--site DIR] [--rounds N] [--export]

``--export`` also times the one-time ONNX export (into a temporary cache, not the real one).
``--quick`` indexes the demo TechDocs (one round) and skips the retrieval part.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks._common import ROOT, Figure, machine, main
from benchmarks.docs_retrieval import DATASET, K, _matches, _score

SITE = ROOT / ".." / "shared" / "fixtures" / "docs-sites" / "argoproj__argo-workflows"
DEMO_DOCS = ROOT / "demo" / "docs"
OLD, NEW = "torch", "onnx-int8"


def _facts() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"nproc {os.cpu_count()} (usable {len(os.sched_getaffinity(0))}), load average {load}"


def _runtime(data_dir: Path, **settings):
    from agent.runtime import Runtime
    from contract.settings import Settings
    from tools.docs import family

    return Runtime(Settings(data_dir=data_dir, **settings), builtin_families=False, extra_families=[family])


def _use(backend: str) -> None:
    from contract import embeddings

    os.environ[embeddings.BACKEND_ENV] = backend


def _load(backend: str) -> float:
    from tools.docs.embedding import encode

    _use(backend)
    t0 = time.perf_counter()
    encode(["load the model"])
    return time.perf_counter() - t0


def _index_site(backend: str, site: Path, tmp: Path) -> tuple[int, int, float, float]:
    """(pages, chunks, seconds end to end, seconds embedding + storing) for one index from scratch."""
    from tools.docs.indexer import index_runtime

    _use(backend)
    report = index_runtime(_runtime(Path(tempfile.mkdtemp(dir=tmp)), docs=[str(site.resolve())]))
    if report.skipped:
        print(f"  ({len(report.skipped)} pages skipped, e.g. {report.skipped[0]})")
    return report.pages, report.chunks_added, report.seconds, report.embed_seconds


def _quality(backend: str, tmp: Path) -> dict[str, float]:
    from tools.docs.indexer import index_runtime
    from tools.docs.store import DocsStore

    _use(backend)
    runtime = _runtime(Path(tempfile.mkdtemp(dir=tmp)), demo=True)
    index_runtime(runtime)
    store = DocsStore.for_runtime(runtime)
    data = yaml.safe_load(DATASET.read_text())
    cases = data["cases"] if isinstance(data, dict) else data
    positives = [c for c in cases if c.get("page")]
    negatives = [c for c in cases if not c.get("page")]
    results = [store.search(c["question"], k=K) for c in positives]
    scores = _score([[h.metadata for h in r.hits] for r in results], positives)
    scores["gate_relevant"] = sum(r.relevant for r in results) / len(positives)
    scores["gate_rejected"] = sum(not store.search(c["question"], k=K).relevant for c in negatives) / len(negatives)
    scores["misses"] = [
        c["id"] for c, r in zip(positives, results, strict=True) if not any(_matches(h.metadata, c) for h in r.hits[:K])
    ]
    return scores


def _time_export() -> None:
    from contract.embeddings import model_path
    from contract.onnx_export import ensure_built, read_manifest

    with tempfile.TemporaryDirectory(prefix="onnx-export-") as cache:
        t0 = time.perf_counter()
        built = ensure_built(Path(model_path()), Path(cache))
        manifest = read_manifest(built)
        print(
            f"one-time ONNX export (trace, fuse, quantize, check): {time.perf_counter() - t0:.1f} s; "
            f"min cosine to torch on the probes: fp32 {manifest['fp32_min_cosine']}, "
            f"int8 {manifest['int8_min_cosine']}  [{_facts()}]"
        )


def run(quick: bool = False, site: Path | None = None, rounds: int | None = None, export: bool = False) -> list[Figure]:
    site = site or (DEMO_DOCS if quick else SITE)
    rounds = rounds or (1 if quick else 2)
    if not site.is_dir():
        raise SystemExit(f"{site}: absent (the fixtures live in ../shared/fixtures/docs-sites)")

    print(f"machine: {machine()}; {_facts()}")
    if export:
        _time_export()
    for backend in (OLD, NEW):
        print(f"model load, {backend}: {_load(backend):.1f} s (once per process)")

    tmp = Path(tempfile.mkdtemp(prefix="docs-indexing-"))
    rates: dict[str, list[float]] = {OLD: [], NEW: []}
    print(f"\nindexing {site.resolve().name} from scratch, {rounds} alternating round(s)")
    header = f"{'round':<7}{'backend':<11}{'pages':>6}{'chunks':>8}{'seconds':>9}{'chunks/s':>10}{'embed+store/s':>15}"
    print(f"{header}  load")
    for round_ in range(1, rounds + 1):
        for backend in (OLD, NEW):
            pages, chunks, seconds, embed_seconds = _index_site(backend, site, tmp)
            rates[backend].append(chunks / seconds)
            load = os.getloadavg()[0]
            print(
                f"{round_:<7}{backend:<11}{pages:>6}{chunks:>8}{seconds:>9.1f}{chunks / seconds:>10.1f}"
                f"{chunks / embed_seconds:>15.1f}  {load:.2f}"
            )
    old, new = statistics.median(rates[OLD]), statistics.median(rates[NEW])
    print(f"median end to end: {OLD} {old:.1f} chunks/s, {NEW} {new:.1f} chunks/s = {new / old:.2f}x  [{_facts()}]")
    figures = [
        Figure(f"indexing, {OLD}", old, "chunks/s"),
        Figure(f"indexing, {NEW}", new, "chunks/s"),
        Figure("indexing speed-up over sentence-transformers", new / old, "x"),
    ]
    if quick:
        return figures

    print(f"\nretrieval on {DATASET.relative_to(ROOT)} (demo TechDocs, hybrid search, k={K})")
    print(f"{'backend':<11}{'recall@5':>10}{'heading r@5':>13}{'MRR':>8}{'gate: relevant':>16}{'rejected':>10}  misses")
    for backend in (OLD, NEW):
        q = _quality(backend, tmp)
        print(
            f"{backend:<11}{q['recall@5']:>10.3f}{q['heading_recall@5']:>13.3f}{q['mrr']:>8.3f}"
            f"{q['gate_relevant']:>16.3f}{q['gate_rejected']:>10.3f}  {', '.join(q['misses']) or '-'}"
        )
        figures.append(Figure(f"recall@5, {backend}", q["recall@5"], "ratio"))
    return figures


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--site", type=Path, help="a docs folder or mkdocs site (default: the Argo Workflows site)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per backend (default 2; 1 with --quick)")
    parser.add_argument("--export", action="store_true", help="also time the one-time ONNX export")
    return parser


if __name__ == "__main__":
    main(run, options())
