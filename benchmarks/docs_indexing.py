"""Docs indexing throughput, sentence-transformers (torch) against the docs index's encoder, in one run.

For each embedding backend, in this one process and with its model already loaded (load times are
printed apart), real docs are indexed from scratch into a temporary directory by the project's own
indexer — discover, read, parse, chunk, embed, store — and its chunks, seconds and chunks per
second are printed, end to end and for embedding + storing alone, with the load average. Rounds
alternate the backends so that the shared machine's load hits both alike; the speed-up is the
median of each round's ratio. Retrieval quality is then measured per backend the way
``benchmarks/docs_retrieval.py`` does (recall@5, heading recall@5, MRR and the relevance gate on
``evals/datasets/docs.yaml`` over the demo TechDocs), each over its own index.

By default the corpus is the first ``--pages`` Markdown pages of the Argo Workflows site (copied
into a temporary folder), about a minute in all; ``--full`` indexes the whole site (2,252 chunks,
several minutes per torch round on the shared 2-core machine).

    .venv/bin/python -m benchmarks.docs_indexing [--full | --pages N] [--site DIR] [--rounds N]
        [--backends torch,openvino,onnx-int8] [--export]

``--export`` also times the one-time model export (into a temporary cache, not the real one).
``--quick`` indexes the demo TechDocs (one round) and skips the retrieval part.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks._common import ROOT, Figure, machine, main
from benchmarks.docs_retrieval import DATASET, K, _matches, _score

SITE = ROOT / ".." / "shared" / "fixtures" / "docs-sites" / "argoproj__argo-workflows"
DEMO_DOCS = ROOT / "demo" / "docs"
PAGES = 12


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


def _check_served(backend: str) -> None:
    """Refuse to time a fallback under another backend's name (no OpenVINO, no bf16, ...)."""
    from contract.embeddings import load_model

    served = load_model(backend).name
    if served != backend:
        raise SystemExit(f"backend {backend} is not available here: {served} is served instead (see the warning)")


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


def _first_pages(site: Path, pages: int, tmp: Path) -> Path:
    """A folder holding copies of the first ``pages`` Markdown pages (path order) of ``site``'s docs."""
    docs = site / "docs" if (site / "docs").is_dir() else site
    out = tmp / f"{site.resolve().name}-first-{pages}"
    for path in sorted(docs.rglob("*.md"))[:pages]:
        target = out / path.relative_to(docs)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return out


def run(
    quick: bool = False,
    site: Path | None = None,
    rounds: int | None = None,
    export: bool = False,
    full: bool = False,
    pages: int = PAGES,
    backends: str | None = None,
) -> list[Figure]:
    from contract.embeddings import BACKENDS, INDEXING

    chosen = (backends or f"torch,{INDEXING}").split(",")
    if len(chosen) < 2 or any(b not in BACKENDS for b in chosen):
        raise SystemExit(f"--backends: two or more of {', '.join(BACKENDS)}, the baseline first (got {backends!r})")
    old, news = chosen[0], chosen[1:]
    site = site or (DEMO_DOCS if quick else SITE)
    rounds = rounds or (1 if quick else 3)
    if not site.is_dir():
        raise SystemExit(f"{site}: absent (the fixtures live in ../shared/fixtures/docs-sites)")

    print(f"machine: {machine()}; {_facts()}")
    if export:
        _time_export()
    for backend in chosen:
        print(f"model load, {backend}: {_load(backend):.1f} s (once per process)")
        _check_served(backend)

    tmp = Path(tempfile.mkdtemp(prefix="docs-indexing-"))
    corpus = site if quick or full else _first_pages(site, pages, tmp)
    what = "whole site" if quick or full else f"first {pages} pages"
    rates: dict[str, list[float]] = {b: [] for b in chosen}
    print(f"\nindexing {site.resolve().name} ({what}) from scratch, {rounds} alternating round(s)")
    header = f"{'round':<7}{'backend':<11}{'pages':>6}{'chunks':>8}{'seconds':>9}{'chunks/s':>10}{'embed+store/s':>15}"
    print(f"{header}  load")
    for round_ in range(1, rounds + 1):
        for backend in chosen:
            n_pages, chunks, seconds, embed_seconds = _index_site(backend, corpus, tmp)
            rates[backend].append(chunks / seconds)
            print(
                f"{round_:<7}{backend:<11}{n_pages:>6}{chunks:>8}{seconds:>9.1f}{chunks / seconds:>10.1f}"
                f"{chunks / embed_seconds:>15.1f}  {os.getloadavg()[0]:.2f}"
            )
    base = statistics.median(rates[old])
    figures = [Figure(f"indexing, {old}", base, "chunks/s")]
    for new in news:
        ratios = [n / o for n, o in zip(rates[new], rates[old], strict=True)]
        ratio = statistics.median(ratios)
        print(
            f"{new}: median {statistics.median(rates[new]):.1f} chunks/s against {old} {base:.1f}; "
            f"ratio per round {', '.join(f'{r:.2f}' for r in ratios)}, median {ratio:.2f}x  [{_facts()}]"
        )
        figures.append(Figure(f"indexing, {new}", statistics.median(rates[new]), "chunks/s"))
        if new == INDEXING:
            figures.append(Figure("indexing speed-up over sentence-transformers", ratio, "x"))
    if quick:
        return figures

    print(f"\nretrieval on {DATASET.relative_to(ROOT)} (demo TechDocs, hybrid search, k={K})")
    print(f"{'backend':<11}{'recall@5':>10}{'heading r@5':>13}{'MRR':>8}{'gate: relevant':>16}{'rejected':>10}  misses")
    for backend in chosen:
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
    parser.add_argument("--full", action="store_true", help="index the whole site, not its first --pages pages")
    parser.add_argument("--pages", type=int, default=PAGES, help=f"pages of the site to index (default {PAGES})")
    parser.add_argument("--backends", help="comma-separated backends, the baseline first (default torch,<indexing>)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per backend (default 3; 1 with --quick)")
    parser.add_argument("--export", action="store_true", help="also time the one-time ONNX export")
    return parser


if __name__ == "__main__":
    main(run, options())
