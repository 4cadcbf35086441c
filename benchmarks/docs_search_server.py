"""Docs search at 100,000 chunks in the scaled-out set-up: vectors on a ``chroma run`` server,
keywords in PostgreSQL (:mod:`tools.docs.keyword_pg`), so no replica holds the corpus.

The same synthetic corpus and timed queries as :mod:`benchmarks.docs_search_latency` (whose
figures are the embedded baseline); both servers are started here from the machine's binaries,
as the tests start them. The app's memory is the benchmark process's RSS after the searches.

    .venv/bin/python -m benchmarks.docs_search_server [--chunks 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks._common import Figure, main
from benchmarks.docs_search_latency import build, measure


def run(quick: bool = False, chunks: int | None = None, queries: int | None = None) -> list[Figure]:
    from tests.support.chroma import ChromaServer, chroma_cli
    from tests.support.postgres import PostgresServer, _bin_dir
    from tools.docs.store import DocsStore

    chunks = chunks or (2_000 if quick else 100_000)
    bin_dir, exe = _bin_dir(), chroma_cli()
    if bin_dir is None or exe is None:
        raise SystemExit("needs PostgreSQL (apt-get install postgresql) and the chroma CLI (pip install chromadb)")
    workdir = Path(tempfile.mkdtemp(prefix="docs-server-"))
    postgres, chroma = PostgresServer(bin_dir), ChromaServer(exe, workdir)
    postgres.start()
    try:
        chroma.start()
        store = DocsStore(workdir / "app", chroma.url, keyword_url=postgres.create_database())
        print(f"building {chunks:,} chunks on {chroma.url} with keywords in PostgreSQL …")
        t0 = time.perf_counter()
        build(chunks, workdir, store)
        store.mark_synced("synthetic corpus")  # what a sync does last: vacuum, so searches read the index alone
        print(f"built in {time.perf_counter() - t0:.0f} s")
        figures = measure(store, queries or (20 if quick else 300), prefix="server: ")
        assert store._bm25 is None, "the keyword side was read into memory"
        return figures
    finally:
        chroma.stop()
        postgres.stop()


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, help="corpus size (default 100,000; 2,000 with --quick)")
    parser.add_argument("--queries", type=int, help="timed searches (default 300; 20 with --quick)")
    return parser


if __name__ == "__main__":
    main(run, options())
