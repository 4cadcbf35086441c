"""Bad input is reported with path and reason and skipped; everything else is still indexed."""

from __future__ import annotations

from tests.support.docs import docs_runtime
from tools.docs.indexer import index_runtime
from tools.docs.store import DocsStore


def test_bad_files_are_reported_and_skipped(tmp_path):
    site = tmp_path / "site"
    docs = site / "docs"
    docs.mkdir(parents=True)
    (site / "mkdocs.yml").write_text(
        "site_name: Messy\nnav:\n  - Home: index.md\n  - Gone: gone.md\n  - Nested:\n    - Lost: a/lost.md\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
    )
    (docs / "index.md").write_text("# Home\n\nThe good page about blue whales.\n")
    (docs / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (docs / "latin1.md").write_bytes("# Caf\xe9\n\nna\xefve text\n".encode("latin-1"))
    (docs / "huge.md").write_text("# Huge\n\n" + "word " * 250_000)
    (docs / "front.md").write_text("---\ntitle: [broken\n---\n# Front\n\ntext\n")
    (docs / "empty.md").write_text("   \n")
    (docs / "unclosed.md").write_text("# Unclosed fence\n\n```python\nprint('still indexed')\n")
    runtime = docs_runtime(tmp_path / "data", docs=[site, tmp_path / "does-not-exist"])
    report = index_runtime(runtime)

    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert "gone.md" in reasons["mkdocs.yml"] or any("gone.md" in s.reason for s in report.skipped)
    assert any("a/lost.md" in s.reason and s.path.endswith("mkdocs.yml") for s in report.skipped)
    assert "binary" in reasons["binary.md"]
    assert "UTF-8" in reasons["latin1.md"] and "line 1" in reasons["latin1.md"]
    assert "too big" in reasons["huge.md"]
    assert "front matter" in reasons["front.md"] and "line 2" in reasons["front.md"]
    assert "empty" in reasons["empty.md"]
    assert any(s.path.endswith("does-not-exist") and "not a folder" in s.reason for s in report.skipped)
    for item in report.skipped:
        if item.path.endswith(".md"):
            assert item.path.startswith(str(docs))  # the full path, so the author can find it
    assert report.pages == 2  # index.md and unclosed.md
    hits = DocsStore.for_runtime(runtime).search("blue whales").hits
    assert hits[0].metadata["page"] == "index.md"


def test_unreachable_site_keeps_its_indexed_pages(tmp_path, corpus):
    runtime = docs_runtime(tmp_path / "data", catalog=[corpus / "catalog.yaml"])
    assert index_runtime(runtime).pages == 5
    (corpus / "shipping" / "docs").rename(corpus / "shipping" / "moved")
    report = index_runtime(runtime)
    assert report.pages_deleted == 0  # a failing source must not empty the index
    assert any("shipping-svc" in s.reason and "docs folder not found" in s.reason for s in report.skipped)
    assert any(
        h.metadata["entity"] == "component:default/shipping-svc"
        for h in DocsStore.for_runtime(runtime).search("label retries for carriers").hits
    )
