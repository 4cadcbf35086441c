"""Sources: catalog techdocs-ref, mkdocs nav titles and order, configured folders, real TechDocs fixtures."""

from __future__ import annotations

import pytest

from tests.support.docs import BACKSTAGE_DEMO, DATA, DOCUMENTED_COMPONENT, docs_runtime
from tools.docs.indexer import index_runtime, parse_page, read_page
from tools.docs.sources import discover_sites, flatten_nav, pages_in_nav_order, site_for_path


def test_catalog_techdocs_ref_dir_relative_to_entity_file(tmp_path):
    runtime = docs_runtime(tmp_path, catalog=[DATA / "catalog.yaml"])
    sites, skipped, failed = discover_sites(runtime)
    assert not skipped and not failed
    by_key = {s.key: s for s in sites}
    billing = by_key["component:default/billing-api"]
    assert billing.owner == "group:default/team-alpha" and billing.system == "system:default/money"
    assert billing.title == "Billing API" and billing.origin == "techdocs"
    assert [p.path for p in billing.pages] == ["index.md", "how-to/rotate-key.md", "errors.md"]
    assert [p.nav_title for p in billing.pages] == ["Home", "Rotate the signing key", "Error codes"]
    assert (
        billing.page_link("how-to/rotate-key.md", "steps")
        == "/docs/default/component/billing-api/how-to/rotate-key/#steps"
    )
    assert billing.page_link("index.md") == "/docs/default/component/billing-api/"


def test_nav_flattening_and_missing_files():
    nav = [
        "index.md",
        {"Guide": [{"Install": "guide/install.md"}, {"External": "https://x.example"}]},
        {"Gone": "gone.md"},
    ]
    assert flatten_nav(nav) == [
        (None, "index.md", ()),
        ("Install", "guide/install.md", ("Guide",)),
        ("Gone", "gone.md", ()),
    ]
    pages, skipped = pages_in_nav_order(["guide/install.md", "index.md", "zz.md", "aa.md"], nav, "site/mkdocs.yml")
    assert [p.path for p in pages] == ["index.md", "guide/install.md", "aa.md", "zz.md"]
    assert len(skipped) == 1 and skipped[0].path == "site/mkdocs.yml" and "gone.md" in skipped[0].reason


def test_plain_markdown_folder(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# A\n\ntext a\n")
    (tmp_path / "notes" / "sub").mkdir()
    (tmp_path / "notes" / "sub" / "b.markdown").write_text("# B\n\ntext b\n")
    (tmp_path / "notes" / "image.png").write_bytes(b"\x89PNG")
    site = site_for_path(str(tmp_path / "notes"))
    assert site.origin == "folder"
    assert [p.path for p in site.pages] == ["a.md", "sub/b.markdown"]
    assert site.page_link("sub/b.markdown", "b").endswith("/notes/sub/b.markdown#b")


def _load_all(site):
    pages = []
    for ref in site.pages:
        raw, problem = read_page(site, ref)
        assert problem is None, problem
        page, problem = parse_page(site, ref, raw, "h")
        assert problem is None, problem
        pages.append(page)
    return pages


def test_backstage_demo_techdocs_fixture():
    if not BACKSTAGE_DEMO.is_dir():
        pytest.skip(f"fixture folder {BACKSTAGE_DEMO} is absent (fresh clone without ../shared/fixtures)")
    site = site_for_path(str(BACKSTAGE_DEMO))
    # catalog-info.yaml next to mkdocs.yml ties the site to its entity, as in Backstage
    assert site.key == "component:default/backstage-demo" and site.title == "Backstage Demo"
    assert site.pages[0].path == "index.md"  # no nav: home first
    pages = _load_all(site)
    titles = {p.path: p.title for p in pages}
    assert titles["index.md"] == "TechDocs" and titles["examples/code.md"] == "Code blocks"
    code_page = next(p for p in pages if p.path == "examples/code.md")
    code_blocks = [b for s in code_page.sections for b in s.blocks if b.kind == "code"]
    assert code_blocks and all(
        b.text.rstrip().endswith(("```", "~~~")) or b.text.startswith("    ") for b in code_blocks
    )
    iframe = next(p for p in pages if p.path == "examples/iframe.md")
    prose = [b.text for s in iframe.sections for b in s.blocks if b.kind != "code"]
    code = [b.text for s in iframe.sections for b in s.blocks if b.kind == "code"]
    assert not any("<iframe" in t for t in prose)  # the live iframe is stripped…
    assert any("<iframe" in t for t in code)  # …the example inside a code fence is kept verbatim


def test_documented_component_fixture(tmp_path):
    if not DOCUMENTED_COMPONENT.is_dir():
        pytest.skip(f"fixture folder {DOCUMENTED_COMPONENT} is absent (fresh clone without ../shared/fixtures)")
    runtime = docs_runtime(tmp_path, docs=[DOCUMENTED_COMPONENT])
    sites, skipped, _ = discover_sites(runtime)
    assert not skipped
    site = sites[0]
    assert site.key == "component:default/documented-component" and site.title == "Example Documentation"
    assert [(p.path, p.nav_title) for p in site.pages] == [
        ("index.md", "Home"),
        ("sub-page.md", "Subpage"),
        ("code/code-sample.md", "Code Sample"),
        ("extensions.md", "Extensions"),
    ]
    report = index_runtime(runtime)
    assert report.pages == 4 and report.chunks_total > 4 and not report.skipped
