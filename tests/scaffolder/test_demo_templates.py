"""The demo templates are registered in the demo catalog, and the repositories they generate work:
each is rendered to disk and its own test suite is run (pytest; ``go test`` when Go is installed,
offline with the standard library only;
``node --test`` for generated Node services when Node is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.scaffolder import DEMO_TEMPLATES
from tools.scaffolder.engine import run_template
from tools.scaffolder.generator import generate_template
from tools.scaffolder.model import Template
from tools.scaffolder.sources import templates_of

VALUES = {
    "name": "invoice-api",
    "owner": "group:default/team-billing",
    "system": "payments-platform",
    "repoUrl": "local?owner=tessera&repo=invoice-api",
}


def render_to(template: Template, values: dict, target: Path) -> Path:
    run_template(template, values, dry_run=True, keep_workspace=target)
    return target


# Standard library only: no module proxy, no checksum database, no toolchain download.
GO_OFFLINE = {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOSUMDB": "off", "GOTOOLCHAIN": "local"}


def run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env}
    full_env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=full_env, check=False)


def test_demo_catalog_registers_the_templates(runtime):
    refs = sorted(t.ref for t in templates_of(runtime).templates)
    assert refs == [
        "template:default/go-grpc-service",
        "template:default/python-fastapi-service",
        "template:default/techdocs",
    ]
    assert runtime.catalog.owner_of("template:default/techdocs") == "group:default/team-platform"
    assert not [e for e in runtime.catalog.errors if "templates" in str(e)]


def test_python_service_repository_passes_its_own_tests(tmp_path):
    template = Template.from_file(DEMO_TEMPLATES / "python-fastapi-service" / "template.yaml")
    repo = render_to(template, VALUES, tmp_path / "invoice-api")
    entity = yaml.safe_load((repo / "catalog-info.yaml").read_text())
    assert entity["spec"] == {
        "type": "service",
        "lifecycle": "experimental",
        "owner": "group:default/team-billing",
        "system": "payments-platform",
    }
    assert entity["metadata"]["annotations"]["backstage.io/kubernetes-namespace"] == "commerce"
    assert (
        yaml.safe_load((repo / "deploy" / "values.yaml").read_text())["labels"]["tessera.example/team"]
        == "team-billing"
    )
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_docs_site_repository_passes_its_own_tests(tmp_path):
    template = Template.from_file(DEMO_TEMPLATES / "techdocs" / "template.yaml")
    values = {**VALUES, "name": "billing-handbook", "sections": ["overview", "on-call", "faq"]}
    repo = render_to(template, values, tmp_path / "handbook")
    assert sorted(p.name for p in (repo / "docs").iterdir()) == ["faq.md", "index.md", "on-call.md", "overview.md"]
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_go_service_repository_passes_its_own_tests(tmp_path):
    template = Template.from_file(DEMO_TEMPLATES / "go-grpc-service" / "template.yaml")
    repo = render_to(template, VALUES, tmp_path / "ledger")
    assert (repo / "proto" / "invoice-api.proto").is_file() and not (repo / "proto" / "service.proto").exists()
    entities = list(yaml.safe_load_all((repo / "catalog-info.yaml").read_text()))
    assert [e["kind"] for e in entities] == ["Component", "API"]
    assert entities[1]["spec"]["definition"] == {"$text": "./proto/invoice-api.proto"}
    assert "module github.com/tessera/invoice-api" in (repo / "go.mod").read_text()
    if shutil.which("go") is None:
        pytest.skip("Go is not installed on this machine: `go test ./...` of the generated repository not run")
    done = run(["go", "test", "./..."], repo, **GO_OFFLINE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok  \tgithub.com/tessera/invoice-api/internal/greeter" in done.stdout, done.stdout


def test_generated_python_template_produces_a_working_repository(tmp_path, runtime):
    generated = generate_template(
        runtime, "a Python FastAPI service with a Postgres database", owner="group:default/team-billing"
    )
    template = Template.from_file(generated["path"])
    repo = render_to(template, {**VALUES, "name": "billing-store"}, tmp_path / "store")
    assert "postgres:16" in (repo / "docker-compose.yml").read_text()
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


@pytest.mark.parametrize("database", ["postgres", "none"])
def test_generated_go_template_produces_a_working_repository(tmp_path, runtime, database):
    generated = generate_template(
        runtime, "a Go gRPC service with a Postgres database", owner="group:default/team-billing"
    )
    repo = render_to(Template.from_file(generated["path"]), {**VALUES, "database": database}, tmp_path / "go")
    assert (repo / "docker-compose.yml").exists() == (database == "postgres")
    config = (repo / "internal" / "config" / "config.go").read_text()
    assert ("postgresql://app:dev@localhost:5432/app" in config) == (database == "postgres")
    if shutil.which("go") is None:
        pytest.skip("Go is not installed on this machine: `go vet`/`go test ./...` of the generated repository not run")
    for cmd in (["go", "vet", "./..."], ["go", "test", "./..."]):
        done = run(cmd, repo, **GO_OFFLINE)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "ok  \tgithub.com/tessera/invoice-api/internal/config" in done.stdout, done.stdout


def test_generated_node_template_produces_a_working_repository(tmp_path, runtime):
    generated = generate_template(runtime, "a Node.js service", owner="group:default/team-billing")
    repo = render_to(Template.from_file(generated["path"]), VALUES, tmp_path / "node")
    assert not (repo / "docker-compose.yml").exists()  # no database: the step with `if` deleted it
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: `node --test` of the generated repository not run")
    done = run(["node", "--test", "test/"], repo)
    assert done.returncode == 0, done.stdout + done.stderr
