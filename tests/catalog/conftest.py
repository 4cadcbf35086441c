"""Shared fixtures for the catalog family's tests: the small test catalogs and runtimes over them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.runtime import Runtime
from contract.principal import Principal
from contract.settings import Settings
from tools.catalog import family
from tools.catalog.sources import load_catalog_from
from tools.catalog.store import CatalogStore

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / ".." / "shared" / "fixtures"
BACKSTAGE_EXAMPLES = FIXTURES / "backstage" / "backstage__backstage" / "packages" / "catalog-model" / "examples"
DEMO_CATALOG = REPO / "demo" / "catalog"


def catalog_runtime(*sources: str | Path) -> Runtime:
    """A runtime with only the catalog family, over the given catalog sources."""
    settings = Settings(catalog=[str(s) for s in sources], data_dir=Path("/tmp/portal-agent-catalog-tests"))
    return Runtime(settings, extra_families=[family], builtin_families=False)


@pytest.fixture(scope="session")
def basic_store() -> CatalogStore:
    return load_catalog_from([str(DATA / "basic")])


@pytest.fixture(scope="session")
def basic_runtime() -> Runtime:
    return catalog_runtime(DATA / "basic")


@pytest.fixture()
def jane() -> Principal:
    return Principal(ref="user:default/jane.doe", email="jane.doe@example.test", via="test")


def require_backstage_examples() -> Path:
    if not BACKSTAGE_EXAMPLES.is_dir():
        pytest.skip(f"Backstage example catalog not found at {BACKSTAGE_EXAMPLES} (../shared/fixtures absent)")
    return BACKSTAGE_EXAMPLES


def require_demo_catalog() -> Path:
    if not (DEMO_CATALOG / "all.yaml").is_file():
        pytest.skip("demo/catalog/all.yaml is not written yet")
    return DEMO_CATALOG
