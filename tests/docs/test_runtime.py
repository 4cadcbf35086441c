"""Start-up behaviour: nothing heavy on registration, background indexing, freshness on first use."""

from __future__ import annotations

import subprocess
import sys

from tests.support.docs import DATA, ctx, docs_runtime
from tests.support.paths import REPO
from tools.docs.indexer import ensure_index_in_background, index_status
from tools.docs.store import DocsStore

HEAVY = ("chromadb", "torch", "sentence_transformers", "markdown_it", "tiktoken", "numpy")


def test_registering_the_family_imports_nothing_heavy(tmp_path):
    code = (
        "import sys\n"
        "from contract.settings import Settings\n"
        "from agent.runtime import Runtime\n"
        "from tools.docs import family\n"
        f"rt = Runtime(Settings(data_dir={str(tmp_path)!r}, docs=['x']), extra_families=[family], "
        "builtin_families=False)\n"
        "names = sorted(t.name for t in family.tools(rt)); intents = family.intents(rt)\n"
        "assert names == ['read_doc_page', 'search_docs'], names\n"
        "assert len(intents) >= 3 and all(len(i.examples) >= 8 for i in intents)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_background_indexing_then_search(tmp_path):
    runtime = docs_runtime(tmp_path, catalog=[DATA / "catalog.yaml"])
    thread = ensure_index_in_background(runtime)
    assert thread is not None
    assert ensure_index_in_background(runtime) is None  # already running (or done): not started twice
    thread.join(timeout=120)
    status = index_status(runtime)
    assert status["fresh"] and not status["building"] and status["last"]["pages"] == 5
    result = runtime.tools["search_docs"].run({"query": "invoice numbering"}, ctx(runtime))
    assert result.ok and result.data["results"][0]["entity"] == "component:default/billing-api"


def test_first_search_indexes_a_fresh_runtime(tmp_path):
    runtime = docs_runtime(tmp_path, catalog=[DATA / "catalog.yaml"])
    assert DocsStore.for_runtime(runtime).count() == 0
    result = runtime.tools["search_docs"].run({"query": "which carriers do we ship with?"}, ctx(runtime))
    assert result.ok and result.data["relevant"]
    assert "DHL" in result.data["results"][0]["snippet"]


def test_search_answers_while_an_indexing_run_is_in_progress(indexed):
    import threading

    store = DocsStore.for_runtime(indexed)
    store.changed()  # force the BM25 snapshot to be rebuilt by the next search
    done = threading.Event()
    with store.sync_lock:  # what a long indexing run holds
        worker = threading.Thread(target=lambda: (store.search("invoice numbering"), done.set()), daemon=True)
        worker.start()
        assert done.wait(60), "search waited for the indexing run"
