"""Writing a new template from a description: drafted by the configured model, or composed offline
from built-in building blocks.

With a language model configured, ``tools.scaffolder.drafting`` asks it for the template and its
skeleton (one retry with the errors fed back); a draft that still fails is dropped and the building
blocks are used instead, with the reason in the result. Offline, "a Go gRPC service with a Postgres
database" → language ``go``, framework ``grpc``, database ``postgres`` → a ``template.yaml`` whose
skeleton is the ``common`` block (catalog-info with the Component, its API and its database
Resource; TechDocs; docker-compose) plus the language block (code, tests, Dockerfile, CI workflow).
Either way the result is checked by the same engine with a dry run (every step runs, nothing is left
unrendered, the catalog file holds valid entities) before it is offered; a template that fails the
check is not saved.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.scaffolder.model import API_VERSION, Template

BLOCKS = Path(__file__).resolve().parent / "blocks"

LANGUAGES = {  # keyword → (language block, default framework)
    "go": ("go", "http"),
    "golang": ("go", "http"),
    "python": ("python", "fastapi"),
    "fastapi": ("python", "fastapi"),
    "py": ("python", "fastapi"),
    "node": ("node", "http"),
    "nodejs": ("node", "http"),
    "javascript": ("node", "http"),
    "typescript": ("node", "http"),
    "express": ("node", "http"),
    "js": ("node", "http"),
}
DATABASES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "psql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "redis": "redis",
    "mongo": "mongodb",
    "mongodb": "mongodb",
}
DATABASE_URLS = {
    "postgres": "postgresql://app:dev@localhost:5432/app",
    "mysql": "mysql://root:dev@localhost:3306/app",
    "redis": "redis://localhost:6379/0",
    "mongodb": "mongodb://localhost:27017/app",
}
WORD = re.compile(r"[a-z0-9]+")
TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")


class GenerationError(ValueError):
    """The description could not become a working template; the message says why."""


@dataclass
class Blueprint:
    name: str
    language: str  # python | go | node | docs
    framework: str | None
    grpc: bool
    database: str | None
    description: str

    @property
    def title(self) -> str:
        parts = {"python": "Python", "go": "Go", "node": "Node.js", "docs": "Documentation"}[self.language]
        if self.grpc:
            parts += " gRPC"
        elif self.framework == "fastapi":
            parts += " FastAPI"
        parts += " service" if self.language != "docs" else " site"
        if self.database:
            parts += f" with {self.database.capitalize() if self.database != 'mongodb' else 'MongoDB'}"
        return parts


def blueprint_from(description: str, name: str | None = None) -> Blueprint:
    words = WORD.findall(description.lower())
    language = next((LANGUAGES[w][0] for w in words if w in LANGUAGES), None)
    framework = next((LANGUAGES[w][1] for w in words if w in LANGUAGES), None)
    grpc = "grpc" in words
    if "fastapi" in words:
        framework = "fastapi"
    if grpc:
        framework = "grpc"
        language = language or "go"
    docs_only = language is None and any(
        w in words for w in ("docs", "documentation", "techdocs", "mkdocs", "handbook", "wiki")
    )
    if language is None and not docs_only:
        raise GenerationError(
            "I could not tell which language the template is for; say e.g. 'a Go gRPC service', 'a Python "
            "FastAPI service', 'a Node.js service' or 'a documentation site'"
        )
    database = next((DATABASES[w] for w in words if w in DATABASES), None)
    if docs_only:
        language, framework, database = "docs", None, None
    if grpc and language != "go":
        grpc = language == "go"
    slug = name or "-".join(
        p
        for p in [
            language if language != "docs" else "docs",
            "grpc" if grpc else None,
            database,
            "site" if language == "docs" else "service",
        ]
        if p
    )
    slug = re.sub(r"[^a-z0-9-]+", "-", slug.lower()).strip("-")
    if not TEMPLATE_NAME.fullmatch(slug):
        raise GenerationError(f"{slug!r} is not a valid template name (lower-case letters, digits and dashes)")
    return Blueprint(slug, language, framework, grpc, database, description.strip())


def template_document(bp: Blueprint, owner: str) -> dict[str, Any]:
    service = bp.language != "docs"
    properties: dict[str, Any] = {
        "name": {
            "title": "Name",
            "type": "string",
            "description": "Unique component name (lower-case, dashes)",
            "pattern": "^[a-z][a-z0-9-]{1,40}[a-z0-9]$",
            "ui:autofocus": True,
        },
        "description": {"title": "Description", "type": "string", "default": bp.description[:200]},
        "owner": {
            "title": "Owner",
            "type": "string",
            "ui:field": "OwnerPicker",
            "ui:options": {"catalogFilter": {"kind": "Group"}},
        },
        "system": {
            "title": "System",
            "type": "string",
            "ui:field": "EntityPicker",
            "ui:options": {"catalogFilter": {"kind": "System"}},
        },
    }
    if service:
        properties["database"] = {
            "title": "Database",
            "type": "string",
            "enum": ["none", "postgres", "mysql", "redis", "mongodb"],
            "default": bp.database or "none",
        }
    if bp.grpc:
        properties["port"] = {
            "title": "gRPC port",
            "type": "integer",
            "default": 9090,
            "minimum": 1024,
            "maximum": 65535,
        }
    db_expr = "(parameters.database if parameters.database != 'none' else '')"
    values: dict[str, Any] = {
        "name": "${{ parameters.name }}",
        "module": "${{ parameters.name | replace('-', '_') }}",
        "serviceName": "${{ parameters.name | replace('-', ' ') | title | replace(' ', '') }}",
        "description": "${{ parameters.description }}",
        "owner": "${{ parameters.owner }}",
        "system": "${{ parameters.system }}",
        "slug": "${{ parameters.repoUrl | projectSlug }}",
        "language": bp.language,
        "framework": bp.framework or "",
        "componentType": "service" if service else "documentation",
        "grpc": bp.grpc,
        "port": "${{ parameters.port }}" if bp.grpc else 8080,
        "database": "${{ " + db_expr + " }}" if service else "",
    }
    if service:
        urls = " ".join(f"'{k}': '{v}'," for k, v in DATABASE_URLS.items())
        values["databaseUrl"] = "${{ {" + urls.rstrip(",") + "}[parameters.database] }}"
    steps: list[dict[str, Any]] = [
        {
            "id": "fetch",
            "name": "Render the skeleton",
            "action": "fetch:template",
            "input": {"url": "./skeleton", "copyWithoutRender": [".github/workflows/*"], "values": values},
        }
    ]
    if service:
        steps.append(
            {
                "id": "no-database",
                "name": "Drop local database files",
                "action": "fs:delete",
                "if": "${{ parameters.database == 'none' }}",
                "input": {"files": ["docker-compose.yml"]},
            }
        )
    if not bp.grpc and service:
        steps.append(
            {"id": "no-proto", "name": "Drop the API definition", "action": "fs:delete", "input": {"files": ["proto"]}}
        )
    steps += [
        {
            "id": "publish",
            "name": "Publish",
            "action": "publish:github",
            "input": {
                "repoUrl": "${{ parameters.repoUrl }}",
                "description": "${{ parameters.description }}",
                "defaultBranch": "main",
            },
        },
        {
            "id": "register",
            "name": "Register",
            "action": "catalog:register",
            "input": {
                "repoContentsUrl": "${{ steps['publish'].output.repoContentsUrl }}",
                "catalogInfoPath": "/catalog-info.yaml",
            },
        },
    ]
    tags = [t for t in [bp.language, bp.framework, bp.database, "generated"] if t]
    return {
        "apiVersion": API_VERSION,
        "kind": "Template",
        "metadata": {
            "name": bp.name,
            "title": bp.title,
            "description": f"Generated from: {bp.description}",
            "tags": tags,
        },
        "spec": {
            "owner": owner,
            "type": "service" if service else "documentation",
            "parameters": [
                {"title": "Component", "required": ["name", "owner"], "properties": properties},
                {
                    "title": "Repository",
                    "required": ["repoUrl"],
                    "properties": {
                        "repoUrl": {
                            "title": "Repository location",
                            "type": "string",
                            "ui:field": "RepoUrlPicker",
                            "ui:options": {"allowedHosts": ["local", "github.com"]},
                        }
                    },
                },
            ],
            "steps": steps,
            "output": {
                "links": [
                    {"title": "Repository", "url": "${{ steps['publish'].output.remoteUrl }}"},
                    {
                        "title": "Open in catalog",
                        "icon": "catalog",
                        "entityRef": "${{ steps['register'].output.entityRef }}",
                    },
                ]
            },
        },
    }


def compose(bp: Blueprint, target: Path, owner: str) -> Path:
    """Write template.yaml and skeleton/ for ``bp`` into ``target``; returns the template file."""
    skeleton = target / "skeleton"
    skeleton.mkdir(parents=True, exist_ok=True)
    shutil.copytree(BLOCKS / "common", skeleton, dirs_exist_ok=True)
    if bp.language == "docs":
        (skeleton / "docker-compose.yml").unlink(missing_ok=True)
    else:
        shutil.copytree(BLOCKS / bp.language, skeleton, dirs_exist_ok=True)
        if bp.language != "go":
            shutil.rmtree(skeleton / "proto", ignore_errors=True)
    path = target / "template.yaml"
    path.write_text(yaml.safe_dump(template_document(bp, owner), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


SAMPLE_NAME = "example-service"
SAMPLE_REPO = f"local?owner=tessera&repo={SAMPLE_NAME}"
NAME_FIELDS = ("name", "component_id", "componentId", "serviceName")


def sample_values(template: Template, owner: str) -> dict[str, Any]:
    """Plausible form values for the check's dry run: the usual fields by name or picker, the first
    option of an enum, and a placeholder for any other required field without a default."""
    from tools.scaffolder import parameters as params

    values: dict[str, Any] = {"name": SAMPLE_NAME, "owner": owner, "repoUrl": SAMPLE_REPO}
    for f in params.fields(template):
        if f.name in values or "default" in f.schema:
            continue
        picker = f.ui.get("ui:field")
        kind = f.schema.get("type", "string")
        if picker == "RepoUrlPicker":
            values[f.name] = SAMPLE_REPO
        elif picker == "OwnerPicker":
            values[f.name] = owner
        elif f.name in NAME_FIELDS:
            values[f.name] = SAMPLE_NAME
        elif not f.required:
            continue
        elif f.enum:
            values[f.name] = f.enum[0] if kind != "array" else f.enum[:1]
        elif kind in ("integer", "number"):
            values[f.name] = f.schema.get("minimum", 1)
        elif kind == "boolean":
            values[f.name] = True
        elif kind == "array":
            values[f.name] = ["example"]
        elif kind == "object":
            values[f.name] = {}
        else:
            values[f.name] = "example"
    names = {f.name for f in params.fields(template)}
    return {k: v for k, v in values.items() if k in names}


def check(template: Template, owner: str, runtime: Any = None) -> dict[str, Any]:
    """Dry-run the template and verify its output; raises GenerationError with the reasons."""
    from tools.catalog.loader import entities_from_text
    from tools.scaffolder.engine import StepFailed, check_runnable, run_template

    problems = check_runnable(template)
    if problems:
        raise GenerationError("the generated template cannot run: " + "; ".join(problems))
    try:
        result = run_template(template, sample_values(template, owner), dry_run=True)
    except (ValueError, StepFailed) as exc:  # ParameterError, ActionError, TemplateRenderError, StepFailed
        raise GenerationError(f"the generated template failed its dry run: {exc}") from exc
    problems = [
        f"{path} still contains '${{{{'"
        for path, data in result.files.items()
        if b"${{" in data and path not in result.not_rendered
    ]
    catalog = result.text_of("catalog-info.yaml")
    if catalog is None:
        problems.append("no catalog-info.yaml was rendered")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for rel, data in result.files.items():  # placeholders like $text need the files
                out = Path(tmp) / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
            loaded = entities_from_text(catalog, "catalog-info.yaml", base_dir=Path(tmp))
        problems += [str(e) for e in loaded.errors]
        if not loaded.entities:
            problems.append("catalog-info.yaml holds no entity")
    if problems:
        raise GenerationError("the generated template failed its dry run: " + "; ".join(problems))
    return {
        "files": sorted(result.files),
        "steps": [f"{s.id}: {s.status}" for s in result.steps],
        "entities": [f"{e.kind}:{e.name}" for e in loaded.entities],
    }


def generate_template(
    runtime: Any,
    description: str,
    *,
    name: str | None = None,
    user: dict[str, Any] | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """Draft (with a model) or compose, check and save a template under
    ``<data dir>/scaffolder/generated/<name>/``. The result says which path produced it."""
    if name is not None and not TEMPLATE_NAME.fullmatch(name):
        raise GenerationError(f"{name!r} is not a valid template name (lower-case letters, digits and dashes)")
    owner = owner or _owner_for(runtime, user)
    fallback: str | None = None
    if runtime is not None and uses_model(runtime):
        from tools.scaffolder.drafting import draft_template

        with tempfile.TemporaryDirectory(prefix="scaffolder-draft-") as tmp:
            drafted = draft_template(runtime, description, name=name, owner=owner, workdir=Path(tmp))
            if drafted.accepted is not None:
                folder, template, checked = drafted.accepted
                final = _save(runtime, folder, template.name)
                return {
                    **_describe(final, Template.from_file(final / "template.yaml"), checked),
                    "blueprint": None,
                    "origin": "model",
                    "produced_by": f"drafted by {runtime.settings.model}",
                    "attempts": drafted.attempts,
                }
        fallback = f"{drafted.reason}; composed from building blocks instead"
    try:
        bp = blueprint_from(description, name)
    except GenerationError as exc:
        if fallback:
            raise GenerationError(f"{drafted.reason}; and the building blocks cannot be used either: {exc}") from exc
        raise
    with tempfile.TemporaryDirectory() as tmp:
        path = compose(bp, Path(tmp) / bp.name, owner)
        template = Template.from_file(path)
        checked = check(template, owner, runtime)
        final = _save(runtime, Path(tmp) / bp.name, bp.name)
    out = {
        **_describe(final, Template.from_file(final / "template.yaml"), checked),
        "title": bp.title,
        "blueprint": {"language": bp.language, "framework": bp.framework, "grpc": bp.grpc, "database": bp.database},
        "origin": "building-blocks",
        "produced_by": "composed from building blocks",
    }
    if fallback:
        out["fallback_reason"] = fallback
    return out


def uses_model(runtime: Any) -> bool:
    return runtime.settings.model.strip() not in ("", "offline")


def _save(runtime: Any, folder: Path, name: str) -> Path:
    """Copy a checked template folder to ``<data dir>/scaffolder/generated/<name>`` (replacing it)."""
    from tools.scaffolder.sources import generated_dir, publish_generated

    if not TEMPLATE_NAME.fullmatch(name):
        raise GenerationError(f"{name!r} is not a valid template name (lower-case letters, digits and dashes)")
    final = generated_dir(runtime) / name
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, final)
    publish_generated(runtime, final)
    return final


def _describe(final: Path, template: Template, checked: dict[str, Any]) -> dict[str, Any]:
    files = sorted(p.relative_to(final).as_posix() for p in final.rglob("*") if p.is_file())
    return {
        "template": template.ref,
        "title": template.display,
        "path": str(final / "template.yaml"),
        "skeleton": [f for f in files if f != "template.yaml"],
        "template_yaml": (final / "template.yaml").read_text(encoding="utf-8"),
        "dry_run": checked,
    }


def _owner_for(runtime: Any, user: dict[str, Any] | None) -> str:
    ref = (user or {}).get("ref")
    if runtime is not None and ref:
        try:
            groups = runtime.catalog.groups_of(ref)
        except Exception:
            groups = []
        if groups:
            return groups[0]
    return ref or "group:default/team-platform"
