"""Fixtures of the catalog family's tests: the basic test catalog as a store and a runtime, a user."""

from __future__ import annotations

import pytest

from agent.runtime import Runtime
from contract.principal import Principal
from tests.support.catalog import DATA, catalog_runtime
from tools.catalog.sources import load_catalog_from
from tools.catalog.store import CatalogStore


@pytest.fixture(scope="session")
def basic_store() -> CatalogStore:
    return load_catalog_from([str(DATA / "basic")])


@pytest.fixture(scope="session")
def basic_runtime() -> Runtime:
    return catalog_runtime(DATA / "basic")


@pytest.fixture()
def jane() -> Principal:
    return Principal(ref="user:default/jane.doe", email="jane.doe@example.test", via="test")
