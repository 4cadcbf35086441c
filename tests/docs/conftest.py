"""Fixtures of the docs family's tests: one embedding model per session, small indexed corpora."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.runtime import Runtime
from tests.support.docs import DATA, docs_runtime


@pytest.fixture(scope="session", autouse=True)
def embedding_model():
    """Load MiniLM once per test session; every index and search below reuses it."""
    from tools.docs.embedding import encode

    encode(["warm up"])
    return encode


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """A private, writable copy of the small test catalog and its two TechDocs sites."""
    target = tmp_path / "corpus"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="session")
def indexed(tmp_path_factory) -> Runtime:
    """The test catalog's docs, indexed once for the read-only tests."""
    from tools.docs.indexer import index_runtime

    runtime = docs_runtime(tmp_path_factory.mktemp("docs-index"), catalog=[DATA / "catalog.yaml"])
    report = index_runtime(runtime)
    assert report.pages == 5 and not report.skipped, report.summary()
    return runtime
