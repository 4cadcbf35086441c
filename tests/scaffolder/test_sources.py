"""Template sources: catalog Template entities, the ``templates`` setting, generated templates."""

from __future__ import annotations

import pytest

from tests.support.scaffolder import SOFTWARE_TEMPLATES, make_runtime
from tools.scaffolder.sources import templates_of


def test_templates_setting_loads_folders_and_reports_broken_files(tmp_path):
    good = tmp_path / "tpl" / "good"
    good.mkdir(parents=True)
    (good / "template.yaml").write_text(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: good-one\n"
        "spec:\n  steps:\n    - id: a\n      action: debug:log\n"
    )
    bad = tmp_path / "tpl" / "bad"
    bad.mkdir()
    (bad / "template.yaml").write_text(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: bad-one\n"
        "spec:\n  steps:\n    - id: a\n"
    )
    runtime = make_runtime(tmp_path / "data", demo=False, templates=[str(tmp_path / "tpl"), str(tmp_path / "nope")])
    index = templates_of(runtime)
    assert [t.name for t in index.templates] == ["good-one"]
    assert any("bad/template.yaml" in e and "must have an 'action'" in e for e in index.errors)
    assert any("nope: no such file" in e for e in index.errors)


def test_lookup_by_ref_name_title_and_keywords(runtime):
    index = templates_of(runtime)
    assert index.get("template:default/techdocs").name == "techdocs"
    assert index.get("Go gRPC service").name == "go-grpc-service"
    assert index.get("python-fastapi-servce").name == "python-fastapi-service"  # a typo
    assert index.get("cobol-batch") is None
    assert index.match("a new golang thing")[0].name == "go-grpc-service"
    assert index.match("a docs site for the team")[0].name == "techdocs"


@pytest.mark.skipif(not SOFTWARE_TEMPLATES.is_dir(), reason="../shared/fixtures/backstage is not present")
def test_real_templates_load_from_the_setting(tmp_path):
    runtime = make_runtime(tmp_path, demo=False, templates=[str(SOFTWARE_TEMPLATES)])
    names = {t.name for t in templates_of(runtime).templates}
    assert {"docs-template", "pull-request", "springboot-template", "rails-demo"} <= names
