"""Every real Backstage template in the shared fixtures dry-runs with sensible parameters: all
steps render, and no ``${{`` is left in any file except those the template copies without rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.scaffolder import DEMO_TEMPLATE, SOFTWARE_TEMPLATES
from tools.scaffolder import parameters as params
from tools.scaffolder.engine import run_template
from tools.scaffolder.model import Template
from tools.scaffolder.preview import render

COMMON = {
    "name": "orders-portal",
    "component_id": "orders-portal",
    "description": "Orders portal for Tessera",
    "owner": "group:default/team-checkout",
    "repoUrl": "github.com?owner=tessera&repo=orders-portal",
    "system": "shopping",
}
PER_TEMPLATE = {
    "scaffold-bancolombia-java": {"package": "co.example.orders", "projectType": "imperative", "coverage": "jacoco"},
    "springboot-template": {"java_package_name": "orders"},
    "rails-demo": {"dryRun": True},
    "demo-template": {"mode": "dark", "topics": ["builtin-actions", "writing-templates"]},
    "gitlab-merge-request": {"repoUrl": "gitlab.com?owner=tessera&repo=orders-portal"},
}


def fixture_templates() -> list[Path]:
    found = sorted(SOFTWARE_TEMPLATES.glob("*/template.yaml")) if SOFTWARE_TEMPLATES.is_dir() else []
    if DEMO_TEMPLATE.is_file():
        found.append(DEMO_TEMPLATE)
    return found


TEMPLATES = fixture_templates()


def values_for(template: Template) -> dict:
    wanted = {**COMMON, **PER_TEMPLATE.get(template.name, {})}
    return {f.name: wanted[f.name] for f in params.fields(template) if f.name in wanted}


@pytest.mark.skipif(not TEMPLATES, reason="../shared/fixtures/backstage templates are not present (fresh clone)")
@pytest.mark.parametrize(
    "path", TEMPLATES, ids=lambda p: p.parent.name if p.parent.name != "template" else "demo-template"
)
def test_fixture_template_dry_runs_completely(path):
    template = Template.from_file(path)
    values = values_for(template)
    validation = params.validate(template, values)
    assert validation.ok, (validation.missing, validation.errors)
    result = run_template(template, values, dry_run=True)
    assert result.steps and all(s.status != "failed" for s in result.steps)
    leftovers = [p for p, data in result.files.items() if b"${{" in data and p not in result.not_rendered]
    assert leftovers == []
    assert not any("${{" in p for p in result.files if p not in result.not_rendered)  # file names rendered
    assert "${{" not in str(result.output)
    assert render(result)  # the preview can be shown


@pytest.mark.skipif(not TEMPLATES, reason="../shared/fixtures/backstage templates are not present (fresh clone)")
def test_fixture_specifics():
    by_name = {Template.from_file(p).name: p for p in TEMPLATES}
    spring = Template.from_file(by_name["springboot-template"])
    r = run_template(spring, values_for(spring))
    assert "src/main/java/com/example/orders/Application.java" in r.files  # ${{ }} in directory names
    assert "orders-portal.sh" in r.files
    react = Template.from_file(by_name["create-react-app-template"])
    r = run_template(react, values_for(react))
    assert 'name: "orders-portal"' in r.text_of("catalog-info.yaml")
    cookie = Template.from_file(by_name["docs-template-cookiecutter"])
    r = run_template(cookie, values_for(cookie))
    assert "github.com/project-slug: tessera/orders-portal" in r.text_of("catalog-info.yaml")
    if "demo-template" in by_name:
        demo = Template.from_file(by_name["demo-template"])
        r = run_template(demo, values_for(demo))
        html = r.text_of("index.html")
        assert "setAttribute('data-theme', 'dark')" in html and "Boosters are a go orders-portal!" in html
        assert "writing-templates" in html and "builtin-actions" in html  # chosen topics are listed
        assert "input-examples" not in html  # the others are not
        assert r.links[1]["url"] == "https://github.com/tessera/orders-portal/actions/workflows/pages.yml"
        assert any("Owner: tessera" in line for line in r.log)
    pr = Template.from_file(by_name["pull-request"])
    r = run_template(pr, values_for(pr))
    assert [s.status for s in r.steps] == ["completed", "completed", "skipped-dry-run"]


@pytest.mark.skipif(not TEMPLATES, reason="../shared/fixtures/backstage templates are not present (fresh clone)")
def test_the_overview_counts_match_the_template_files():
    """The list tool's overview against a count made straight from the YAML (no Template model)."""
    import yaml

    from tools.scaffolder.facts import overview

    raw = [yaml.safe_load(p.read_text()) for p in TEMPLATES]
    seen = overview([Template.from_file(p) for p in TEMPLATES])
    assert seen["templates"] == len(raw)
    types: dict[str, int] = {}
    for doc in raw:
        kind = doc["spec"].get("type") or "(no type)"
        types[kind] = types.get(kind, 0) + 1
    assert seen["by_type"] == types
    for action in ("catalog:register", "fetch:template", "publish:github"):
        users = sorted(d["metadata"]["name"] for d in raw if any(s["action"] == action for s in d["spec"]["steps"]))
        assert sorted(seen["using_action"].get(action, {}).get("templates", [])) == users, action
    no_owner = sorted(
        d["metadata"]["name"]
        for d in raw
        if not any("owner" in name.lower() for page in d["spec"]["parameters"] for name in page.get("properties", {}))
    )
    assert sorted(seen["not_asking_for_an_owner"]) == no_owner


@pytest.mark.skipif(not TEMPLATES, reason="../shared/fixtures/backstage templates are not present (fresh clone)")
def test_a_description_read_through_the_tool_token_cap_keeps_its_steps():
    """A model reads a template's description cut to the per-tool cap: the steps and their count come
    before the form's field details, and each field is described once (the Rails template's fields,
    repeated under their page, cut its steps off)."""
    import json

    from contract.tokens import truncate_to_tokens
    from tools.scaffolder.facts import describe

    for path in TEMPLATES:
        data = describe(Template.from_file(path))
        keys = list(data)
        assert keys.index("steps") < keys.index("fields") and data["step_count"] == len(data["steps"])
        assert all(isinstance(name, str) for page in data["pages"] for name in page["fields"])
        assert sum(len(page["fields"]) for page in data["pages"]) == len(data["fields"])
    rails = describe(Template.from_file(next(p for p in TEMPLATES if p.parent.name == "rails-demo")))
    text, _ = truncate_to_tokens(json.dumps(rails), 400)
    assert '"step_count": 5' in text and "catalog:register" in text
