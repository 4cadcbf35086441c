"""The docs family's test inputs: the small test catalog with its TechDocs sites, the real Backstage
docs in ``../shared/fixtures``, and a runtime with only the docs family over given sources."""

from __future__ import annotations

from pathlib import Path

from agent.runtime import Runtime
from contract.principal import Principal
from contract.settings import Settings
from contract.tooling import ToolContext
from tests.support.paths import SHARED_FIXTURES, TESTS
from tools.docs import family

DATA = TESTS / "docs" / "data"
FIXTURES = SHARED_FIXTURES / "backstage"
BACKSTAGE_DEMO = FIXTURES / "backstage__demo"
DOCUMENTED_COMPONENT = (
    FIXTURES / "backstage__backstage" / "plugins" / "techdocs-backend" / "examples" / "documented-component"
)


def docs_runtime(
    data_dir: Path,
    *,
    catalog: list[str] | None = None,
    docs: list[str] | None = None,
    chroma_url: str | None = None,
    database_url: str | None = None,
) -> Runtime:
    """A runtime with only the docs family over the given sources (never the demo organisation)."""
    settings = Settings(
        data_dir=data_dir,
        catalog=[str(c) for c in catalog or []],
        docs=[str(d) for d in docs or []],
        chroma_url=chroma_url,
        database_url=database_url,
    )
    return Runtime(settings, extra_families=[family], builtin_families=False)


def ctx(runtime: Runtime) -> ToolContext:
    return ToolContext(runtime=runtime, principal=Principal(ref="user:default/guest", via="test"))
