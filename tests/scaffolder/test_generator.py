"""Template generation from a description, offline, checked by a dry run before it is offered."""

from __future__ import annotations

import pytest
import yaml

from tools.scaffolder.generator import GenerationError, blueprint_from, check, compose, generate_template
from tools.scaffolder.model import Template


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a Go gRPC service with a Postgres database", ("go-grpc-postgres-service", "go", True, "postgres")),
        ("Python FastAPI service with Redis", ("python-redis-service", "python", False, "redis")),
        ("a node.js API backed by MongoDB", ("node-mongodb-service", "node", False, "mongodb")),
        ("a golang service", ("go-service", "go", False, None)),
        ("a gRPC service", ("go-grpc-service", "go", True, None)),
        ("a documentation site for team handbooks", ("docs-site", "docs", False, None)),
    ],
)
def test_descriptions_become_blueprints(text, expected):
    bp = blueprint_from(text)
    assert (bp.name, bp.language, bp.grpc, bp.database) == expected


def test_unclear_or_bad_descriptions_are_refused_with_a_reason():
    with pytest.raises(GenerationError, match="which language"):
        blueprint_from("something nice")
    with pytest.raises(GenerationError, match="not a valid template name"):
        blueprint_from("a go service", name="-")


def test_generated_go_grpc_postgres_template_is_complete(runtime):
    out = generate_template(
        runtime,
        "write a template for a Go gRPC service with a Postgres database",
        user={"ref": "user:default/karim.nasser"},
    )
    assert out["template"] == "template:default/go-grpc-postgres-service"
    doc = yaml.safe_load(out["template_yaml"])
    assert doc["apiVersion"] == "scaffolder.backstage.io/v1beta3"
    assert doc["spec"]["owner"] == "group:default/team-billing"
    props = doc["spec"]["parameters"][0]["properties"]
    assert props["database"]["default"] == "postgres" and props["port"]["default"] == 9090
    assert [s["action"] for s in doc["spec"]["steps"]] == [
        "fetch:template",
        "fs:delete",
        "publish:github",
        "catalog:register",
    ]
    assert {
        "skeleton/proto/service.proto",
        "skeleton/.github/workflows/ci.yml",
        "skeleton/Dockerfile",
        "skeleton/catalog-info.yaml",
        "skeleton/mkdocs.yml",
        "skeleton/docs/index.md",
        "skeleton/docker-compose.yml",
    } <= set(out["skeleton"])
    assert out["dry_run"]["entities"] == [
        "Component:example-service",
        "API:example-service-grpc",
        "Resource:example-service-db",
    ]


def test_generated_template_honours_the_database_parameter(runtime):
    from tools.scaffolder.engine import run_template

    out = generate_template(runtime, "a python service with postgres", owner="group:default/team-billing")
    template = Template.from_file(out["path"])
    base = {"name": "x-svc", "owner": "group:default/team-billing", "repoUrl": "local?owner=t&repo=x-svc"}
    with_db = run_template(template, base)
    assert "docker-compose.yml" in with_db.files and "psycopg" in with_db.text_of("pyproject.toml")
    without = run_template(template, {**base, "database": "none"})
    assert "docker-compose.yml" not in without.files and "psycopg" not in without.text_of("pyproject.toml")
    assert "resource:" not in without.text_of("catalog-info.yaml")


def test_check_rejects_a_template_that_leaves_expressions_unrendered(tmp_path):
    bp = blueprint_from("a go service")
    path = compose(bp, tmp_path / "t", "group:default/team-billing")
    (tmp_path / "t" / "skeleton" / "broken.txt").write_text("${{ '${{' }} values.name }}")
    with pytest.raises(GenerationError, match=r"broken\.txt still contains"):
        check(Template.from_file(path), "group:default/team-billing")


def test_check_rejects_an_invalid_catalog_file(tmp_path):
    bp = blueprint_from("a go service")
    path = compose(bp, tmp_path / "t", "group:default/team-billing")
    catalog = tmp_path / "t" / "skeleton" / "catalog-info.yaml"
    catalog.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\n")
    with pytest.raises(GenerationError, match="failed its dry run"):
        check(Template.from_file(path), "group:default/team-billing")
