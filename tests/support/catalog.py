"""The catalog family's test inputs: the small test catalogs, the real Backstage examples and the
demo catalog (each skipped with a reason when absent), and a runtime over given catalog sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.runtime import Runtime
from contract.settings import Settings
from tests.support.paths import REPO, SHARED_FIXTURES, TESTS
from tools.catalog import family

DATA = TESTS / "catalog" / "data"
BACKSTAGE_EXAMPLES = SHARED_FIXTURES / "backstage" / "backstage__backstage" / "packages" / "catalog-model" / "examples"
DEMO_CATALOG = REPO / "demo" / "catalog"


def entity_doc(kind: str, name: str, spec: str, meta: str = "") -> str:
    """One catalog entity as a YAML document (``spec`` and ``meta`` are indented YAML lines)."""
    return f"apiVersion: backstage.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\n{meta}spec:\n{spec}---\n"


def catalog_runtime(*sources: str | Path) -> Runtime:
    """A runtime with only the catalog family, over the given catalog sources."""
    settings = Settings(catalog=[str(s) for s in sources], data_dir=Path("/tmp/portal-agent-catalog-tests"))
    return Runtime(settings, extra_families=[family], builtin_families=False)


def require_backstage_examples() -> Path:
    if not BACKSTAGE_EXAMPLES.is_dir():
        pytest.skip(f"Backstage example catalog not found at {BACKSTAGE_EXAMPLES} (../shared/fixtures absent)")
    return BACKSTAGE_EXAMPLES


def require_demo_catalog() -> Path:
    if not (DEMO_CATALOG / "all.yaml").is_file():
        pytest.skip("demo/catalog/all.yaml is not written yet")
    return DEMO_CATALOG


# A scaffolder workspace holding a catalog file (a Component and its API with a $text definition),
# as catalog:register receives it.
COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: invoice-api
  description: Invoices
spec:
  type: service
  lifecycle: experimental
  owner: {owner}
  providesApis: [invoice-openapi]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: invoice-openapi
spec:
  type: openapi
  lifecycle: experimental
  owner: {owner}
  definition:
    $text: ./openapi.yaml
"""


def workspace(tmp_path: Path, owner: str = "group:default/team-billing") -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir(exist_ok=True)
    (folder / "catalog-info.yaml").write_text(COMPONENT.format(owner=owner))
    (folder / "openapi.yaml").write_text("openapi: 3.0.0\ninfo: {title: Invoices, version: '1'}\n")
    return folder / "catalog-info.yaml"
