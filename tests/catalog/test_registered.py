"""Entities registered at run time are kept in the data dir and loaded again after a restart."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from agent.runtime import Runtime
from contract.settings import Settings
from tests.support.catalog import DATA, workspace
from tools.catalog import family
from tools.catalog.model import ANNOTATION_MANAGED_BY_LOCATION
from tools.catalog.sources.registered import Registrations


def runtime(data_dir: Path) -> Runtime:
    settings = Settings(data_dir=data_dir, catalog=str(DATA / "dupes" / "a.yaml"))
    return Runtime(settings, extra_families=[family], builtin_families=False)


def test_registered_entities_survive_a_restart_with_their_definitions(tmp_path):
    data = tmp_path / "data"
    added = Registrations(data).add(workspace(tmp_path), "url:https://git.example/invoice-api/catalog-info.yaml")
    assert [e.ref for e in added] == ["component:default/invoice-api", "api:default/invoice-openapi"]
    shutil.rmtree(tmp_path / "workspace")  # the scaffolder's workspace is temporary

    catalog = runtime(data).catalog  # a new process over the same data dir
    component = catalog.get("component:default/invoice-api")
    api = catalog.get("api:default/invoice-openapi")
    assert component is not None and api is not None
    assert api.spec["definition"].startswith("openapi: 3.0.0")
    assert (
        component.annotations[ANNOTATION_MANAGED_BY_LOCATION] == "url:https://git.example/invoice-api/catalog-info.yaml"
    )
    assert Path(component.source_path).parent == data / "catalog" / "registered"
    assert "api:default/invoice-openapi" in [r.target_ref for r in component.relations if r.type == "providesApi"]
    assert catalog.get("component:default/twin") is not None  # the configured source still loads


def test_registering_again_replaces_the_entity(tmp_path):
    data = tmp_path / "data"
    Registrations(data).add(workspace(tmp_path, owner="group:default/team-billing"), "url:first")
    Registrations(data).add(workspace(tmp_path, owner="group:default/team-payments"), "url:second")
    catalog = runtime(data).catalog
    matches = [e for e in catalog.all() if e.name == "invoice-api"]
    assert len(matches) == 1
    assert matches[0].spec["owner"] == "group:default/team-payments"
    assert matches[0].annotations[ANNOTATION_MANAGED_BY_LOCATION] == "url:second"


def test_a_file_without_entities_is_refused(tmp_path):
    empty = tmp_path / "catalog-info.yaml"
    empty.write_text("just: a mapping\n")
    with pytest.raises(ValueError, match=r"catalog-info\.yaml"):
        Registrations(tmp_path / "data").add(empty, "url:x")
    assert not (tmp_path / "data" / "catalog" / "registered" / "registrations.jsonl").exists()


def test_a_broken_kept_file_or_index_line_is_reported_and_the_rest_loads(tmp_path, caplog):
    data = tmp_path / "data"
    registrations = Registrations(data)
    registrations.add(workspace(tmp_path), "url:ok")
    other = tmp_path / "other.yaml"
    other.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: other}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n"
    )
    registrations.add(other, "url:other")
    kept = data / "catalog" / "registered" / "component-default-other.yaml"
    kept.write_text("kind: [unclosed\n")
    with registrations.index.open("a") as fh:
        fh.write('{"file": "torn\n')

    with caplog.at_level(logging.WARNING):
        catalog = runtime(data).catalog
    assert catalog.get("component:default/invoice-api") is not None
    assert catalog.get("component:default/other") is None
    assert any(str(kept) in str(error) for error in catalog.errors)
    assert "registrations.jsonl line 3" in caplog.text
