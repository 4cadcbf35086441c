"""load_catalog(runtime): the demo when nothing is configured, configured sources otherwise."""

from __future__ import annotations

from pathlib import Path

from agent.runtime import Runtime
from contract.settings import Settings
from tests.support.catalog import DATA, DEMO_CATALOG
from tools.catalog import family
from tools.catalog.sources import catalog_sources, load_catalog, load_catalog_from


def _runtime(**settings) -> Runtime:
    return Runtime(
        Settings(data_dir=Path("/tmp/portal-agent-catalog-tests"), **settings),
        extra_families=[family],
        builtin_families=False,
    )


def test_configured_sources_are_comma_separated_dirs_and_files():
    runtime = _runtime(catalog=f"{DATA / 'dupes' / 'a.yaml'}, {DATA / 'broken'}")
    assert catalog_sources(runtime) == [str(DATA / "dupes" / "a.yaml"), str(DATA / "broken")]
    store = load_catalog(runtime)
    assert sorted(e.name for e in store.all()) == ["also-fine", "before-the-break", "survivor", "twin"]
    assert len([e for e in store.errors if e.severity == "error"]) == 3


def test_demo_is_used_when_nothing_is_configured():
    runtime = _runtime(demo=True)
    assert catalog_sources(runtime)[0] == str(DEMO_CATALOG)
    if (DEMO_CATALOG / "all.yaml").is_file():
        assert len(runtime.catalog) > 50 and runtime.catalog.errors == []


def test_demo_forced_plus_configured_sources_load_both():
    runtime = _runtime(demo=True, catalog=str(DATA / "dupes"))
    assert catalog_sources(runtime) == [str(DEMO_CATALOG), str(DATA / "dupes")]


def test_missing_source_is_an_error_entry_not_an_exception():
    store = load_catalog_from(["/nonexistent/catalog", str(DATA / "dupes")])
    assert [e.name for e in store.all()] == ["twin"]
    assert any(e.path == "/nonexistent/catalog" and "no such file" in e.reason for e in store.errors)


def test_family_is_cheap_to_describe():
    runtime = _runtime(catalog=str(DATA / "basic"))
    assert len(family.tools(runtime)) == 8 and len(family.intents(runtime)) == 10
    assert "_catalog" not in runtime.__dict__  # describing tools and intents did not load the catalog
