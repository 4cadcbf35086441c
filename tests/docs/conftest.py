"""Shared fixtures for the docs family: one embedding model per session, small indexed corpora."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.runtime import Runtime
from contract.principal import Principal
from contract.settings import Settings
from contract.tooling import ToolContext
from tools.docs import family

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / ".." / "shared" / "fixtures" / "backstage"
BACKSTAGE_DEMO = FIXTURES / "backstage__demo"
DOCUMENTED_COMPONENT = (
    FIXTURES / "backstage__backstage" / "plugins" / "techdocs-backend" / "examples" / "documented-component"
)


def docs_runtime(
    data_dir: Path, *, catalog: list[str] | None = None, docs: list[str] | None = None, chroma_url: str | None = None
) -> Runtime:
    """A runtime with only the docs family over the given sources (never the demo organisation)."""
    settings = Settings(
        data_dir=data_dir,
        catalog=[str(c) for c in catalog or []],
        docs=[str(d) for d in docs or []],
        chroma_url=chroma_url,
    )
    return Runtime(settings, extra_families=[family], builtin_families=False)


def ctx(runtime: Runtime) -> ToolContext:
    return ToolContext(runtime=runtime, principal=Principal(ref="user:default/guest", via="test"))


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
