"""No docs tool raises on an empty or missing index: one honest line instead of a stack trace.

A catalog without TechDocs annotations (Backstage's own example catalog) configures no docs at
all; a configured folder with no Markdown leaves the index empty. Both used to answer
``ValueError: cannot reshape array of size 0 into shape (0,newaxis)``.
"""

from __future__ import annotations

import pytest

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings
from tests.support.docs import FIXTURES, ctx, docs_runtime
from tools.docs.sources import docs_configured
from tools.docs.store import DocsStore

EXAMPLE_CATALOG = FIXTURES / "backstage__backstage" / "packages" / "catalog-model" / "examples" / "all.yaml"
NO_DOCS = "no docs are configured — set PORTAL_AGENT_DOCS"
EMPTY = "the docs index is empty"


def _no_docs_catalog(tmp_path):
    """A small catalog with no techdocs-ref annotation: it configures no docs."""
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: lonely}\n"
        "spec: {type: service, owner: team-a, lifecycle: production}\n"
    )
    return path


def test_empty_store_searches_and_lists_pages_without_raising(tmp_path):
    store = DocsStore(tmp_path)
    assert store.pages() == {}
    result = store.search("how do I deploy?")
    assert result.hits == [] and not result.relevant and result.chunks == 0
    filtered = store.search("how do I deploy?", entity="component:default/x")
    assert filtered.hits == [] and not filtered.relevant


def test_search_docs_with_no_docs_configured_says_so(tmp_path):
    runtime = docs_runtime(tmp_path / "data", catalog=[_no_docs_catalog(tmp_path)])
    assert not docs_configured(runtime)
    result = runtime.tools["search_docs"].run({"query": "how do I deploy?"}, ctx(runtime))
    assert result.ok, result.error
    assert result.data["relevant"] is False and result.data["results"] == []
    assert result.data["configured"] is False
    assert NO_DOCS in result.note
    page = runtime.tools["read_doc_page"].run({"page": "index"}, ctx(runtime))
    assert not page.ok and NO_DOCS in page.error


def test_search_docs_over_an_empty_folder_says_the_index_is_empty(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("not markdown\n")
    runtime = docs_runtime(tmp_path / "data", docs=[folder])
    assert docs_configured(runtime)
    result = runtime.tools["search_docs"].run({"query": "how do I deploy?"}, ctx(runtime))
    assert result.ok and result.data["configured"] is True and result.data["results"] == []
    assert EMPTY in result.note


def test_ask_with_only_a_catalog_answers_one_honest_line(tmp_path):
    runtime = docs_runtime(tmp_path / "data", catalog=[_no_docs_catalog(tmp_path)])
    service = AgentService(runtime)
    turn = service.ask("how do I deploy?", service.principal("user:default/guest", via="test"))
    assert "ValueError" not in turn.answer and "couldn't search" not in turn.answer
    assert NO_DOCS.lower() in turn.answer.lower()
    assert len(turn.answer.splitlines()) == 1


@pytest.mark.skipif(not EXAMPLE_CATALOG.is_file(), reason=f"real fixture absent: {EXAMPLE_CATALOG}")
def test_backstage_example_catalog_alone_configures_no_docs(tmp_path):
    runtime = docs_runtime(tmp_path / "data", catalog=[EXAMPLE_CATALOG])
    service = AgentService(runtime)
    turn = service.ask("how do I deploy?", service.principal("user:default/guest", via="test"))
    assert NO_DOCS.lower() in turn.answer.lower(), turn.answer


def test_docs_known_empty_stop_taking_questions_and_a_docs_miss_falls_back(tmp_path):
    """TechDocs annotations whose pages all fail to index leave the family configured but empty: once
    the index is known empty, a docs-looking ask about an entity is answered from the catalog."""
    from tools.docs.indexer import docs_live

    empty = tmp_path / "site"
    empty.mkdir()
    (empty / "mkdocs.yml").write_text("site_name: empty\n")
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata:\n  name: lonely\n  annotations: {backstage.io/techdocs-ref: 'dir:./site'}\n"
        "  links: [{url: 'https://pkg.example.dev/lonely', title: Go docs}]\n"
        "spec: {type: library, owner: team-a, lifecycle: production}\n"
    )
    runtime = Runtime(Settings(data_dir=tmp_path / "data", catalog=[str(path)]))  # every family
    assert docs_configured(runtime) and docs_live(runtime)  # not indexed yet: the first search builds it
    service = AgentService(runtime)
    guest = service.principal("user:default/guest", via="test")
    turn = service.ask("how do I deploy lonely?", guest)  # only docs answer how-tos: the honest line
    assert EMPTY in turn.answer.lower() and "ValueError" not in turn.answer, turn.answer
    assert not docs_live(runtime)
    turn = service.ask("where can i find the go docs for lonely", guest)
    assert "https://pkg.example.dev/lonely" in turn.answer, turn.answer


def test_a_cluster_looking_question_with_only_docs_configured_is_searched_in_the_docs(tmp_path):
    """ "Can the operator be restricted to a single namespace?" reads like a question about a cluster
    object; with no cluster configured, the docs that answer it are searched instead."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "scoping.md").write_text(
        "# Namespace scoping\n\nThe operator runs cluster-wide by default. To restrict it to a single namespace, "
        "set `scopedNamespace: my-namespace` and `scopedRBAC: true` in the Helm values.\n"
    )
    runtime = Runtime(Settings(data_dir=tmp_path / "data", docs=[str(folder)]))
    service = AgentService(runtime)
    turn = service.ask(
        "Can the operator be restricted to a single namespace instead of running cluster-wide?",
        service.principal("user:default/guest", via="test"),
    )
    assert [call["name"] for call in turn.tool_calls] == ["search_docs"], turn.answer
    assert "scopedNamespace" in turn.answer
