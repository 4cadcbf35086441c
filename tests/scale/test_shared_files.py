"""What one replica writes at run time and another must see, in the shared PostgreSQL database:
entities registered by the scaffolder, templates generated from a description, a half-filled
template draft. Each replica has its own data directory; nothing passes through a file."""

from __future__ import annotations

import pytest

import agent.runtime
from agent.runtime import Runtime
from agent.storage.database import PostgresDatabase
from agent.storage.shared_files import DatabaseFiles
from contract.settings import Settings
from tests.support.catalog import DATA, workspace
from tools.catalog import family as catalog_family
from tools.catalog.sources.registered import registrations
from tools.scaffolder import drafts
from tools.scaffolder import family as scaffolder_family
from tools.scaffolder.generator import generate_template
from tools.scaffolder.sources import templates_of


@pytest.fixture
def replicas(tmp_path, postgres_url, monkeypatch) -> tuple[Runtime, Runtime]:
    monkeypatch.setattr(agent.runtime, "SHARED_CHECK_SECONDS", 0.0)  # look at every use, not every 5 s

    def replica(name: str) -> Runtime:
        settings = Settings(data_dir=tmp_path / name, catalog=str(DATA / "dupes" / "a.yaml"), database_url=postgres_url)
        return Runtime(settings, extra_families=[catalog_family, scaffolder_family], builtin_families=False)

    return replica("a"), replica("b")


def test_shared_files_keep_order_prefixes_and_a_version(postgres_url):
    files = DatabaseFiles(PostgresDatabase(postgres_url), "test-ns")
    other = DatabaseFiles(PostgresDatabase(postgres_url), "other-ns")
    before = files.version()
    files.put("t1/template.yaml", "one")
    files.put("t1/skeleton/README.md", "two")
    files.put("t2/template.yaml", "three")
    other.put("t1/template.yaml", "elsewhere")
    assert files.version() != before
    assert list(files.read_all()) == ["t1/template.yaml", "t1/skeleton/README.md", "t2/template.yaml"]
    assert files.read("t1/skeleton/README.md") == "two" and files.read("nope") is None
    files.put("t1/template.yaml", "one, replaced")
    files.remove("t1/")
    assert files.read_all() == {"t2/template.yaml": "three"}
    assert other.read_all() == {"t1/template.yaml": "elsewhere"}


def test_an_entity_registered_on_a_is_in_bs_catalog_without_a_restart(replicas, tmp_path):
    a, b = replicas
    assert b.catalog.get("component:default/invoice-api") is None  # B loaded its catalog first
    added = registrations(a).add(workspace(tmp_path), "url:https://git.example/invoice-api/catalog-info.yaml")
    assert [e.ref for e in added] == ["component:default/invoice-api", "api:default/invoice-openapi"]
    assert not (tmp_path / "a" / "catalog" / "registered").exists()  # kept in the database, not A's disk
    api = b.catalog.get("api:default/invoice-openapi")
    assert api is not None and api.spec["definition"].startswith("openapi: 3.0.0")
    assert b.catalog.get("component:default/twin") is not None  # the configured source still loads


def test_a_template_generated_on_a_is_offered_by_b(replicas):
    a, b = replicas
    assert "template:default/billing-store" not in {t.ref for t in templates_of(b).templates}
    generate_template(a, "a Python FastAPI service", name="billing-store", owner="group:default/team-billing")
    offered = {t.ref: t for t in templates_of(b).templates}
    assert "template:default/billing-store" in offered
    assert (b.data_dir / "scaffolder" / "generated" / "billing-store" / "template.yaml").is_file()


def test_a_draft_started_on_a_continues_on_b(replicas):
    a, b = replicas
    drafts.save(a, "thread-1", "user:default/wendy", drafts.Draft(template="template:default/x", values={"n": 1}))
    found = drafts.load(b, "thread-1", "user:default/wendy")
    assert found is not None and found.values == {"n": 1}
    assert drafts.load(b, "thread-1", "user:default/olga") is None  # another person's draft is their own
    drafts.clear(b, "thread-1", "user:default/wendy")
    assert drafts.load(a, "thread-1", "user:default/wendy") is None
