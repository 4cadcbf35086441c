"""catalog:write and catalog:register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tools.scaffolder.actions.base import Action, ActionContext, ActionError, safe_child


def catalog_write(input: dict[str, Any], ctx: ActionContext) -> None:
    entity = input.get("entity")
    if not isinstance(entity, dict):
        raise ActionError("input 'entity' must be an object")
    path = safe_child(ctx.workspace, str(input.get("filePath") or "catalog-info.yaml"), "filePath")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(entity, sort_keys=False, allow_unicode=True), encoding="utf-8")
    ctx.info(f"wrote {path.relative_to(ctx.workspace)}")


def _catalog_url(input: dict[str, Any]) -> tuple[str, str | None, str]:
    """(catalogInfoUrl, repoContentsUrl or None, catalogInfoPath)."""
    if input.get("catalogInfoUrl"):
        return str(input["catalogInfoUrl"]), None, ""
    contents = input.get("repoContentsUrl")
    if not contents:
        raise ActionError("catalog:register needs catalogInfoUrl, or repoContentsUrl and catalogInfoPath")
    path = str(input.get("catalogInfoPath") or "/catalog-info.yaml")
    if not path.startswith("/"):
        path = "/" + path
    return f"{str(contents).rstrip('/')}{path}", str(contents), path


def _local_file(input: dict[str, Any], ctx: ActionContext) -> Path | None:
    url, contents, path = _catalog_url(input)
    if contents and contents in ctx.run.published:
        return ctx.run.published[contents] / path.lstrip("/")
    for base, directory in ctx.run.published.items():
        if url.startswith(base.rstrip("/") + "/"):
            return directory / url[len(base.rstrip("/")) + 1 :]
    if url.startswith("file://"):
        return Path(url[len("file://") :])
    return None


def _first_ref(path: Path) -> str | None:
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
    except (OSError, yaml.YAMLError):
        return None
    for doc in docs:
        kind, meta = doc.get("kind"), doc.get("metadata") or {}
        if kind and str(kind).lower() != "location" and meta.get("name"):
            return f"{str(kind).lower()}:{meta.get('namespace') or 'default'}/{meta['name']}"
    return None


def catalog_register(input: dict[str, Any], ctx: ActionContext) -> None:
    from tools.scaffolder.registration import primary_ref, register

    url, _, _ = _catalog_url(input)
    path = _local_file(input, ctx)
    if path is None or not path.is_file():
        if input.get("optional"):
            ctx.info(f"optional registration of {url} skipped: the file is not reachable")
            return
        raise ActionError(f"cannot register {url}: the catalog file is not reachable from here")
    if ctx.run.runtime is None:
        raise ActionError("no catalog to register into")
    refs = register(ctx.run.runtime, path, f"url:{url}")
    ctx.run.registered.extend(refs)
    ctx.output("entityRef", primary_ref(refs))
    ctx.output("catalogInfoUrl", url)
    ctx.info(f"registered {', '.join(refs)} from {url}")


def predict_register(input: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    """In a dry run: the entity the workspace's catalog file would register."""
    try:
        url, _, path = _catalog_url(input)
    except ActionError:
        return {"entityRef": "<example>", "catalogInfoUrl": "<example>"}
    candidate = ctx.workspace / (path or "catalog-info.yaml").lstrip("/")
    return {"entityRef": _first_ref(candidate) or "<example>", "catalogInfoUrl": url}


ACTIONS = [
    Action(
        id="catalog:write",
        handler=catalog_write,
        supports_dry_run=True,
        description="Write a catalog-info.yaml (or filePath) describing an entity into the workspace.",
        input_schema={
            "type": "object",
            "required": ["entity"],
            "properties": {"entity": {"type": "object"}, "filePath": {"type": "string"}},
        },
    ),
    Action(
        id="catalog:register",
        handler=catalog_register,
        predict=predict_register,
        publishes=True,
        description="Register the published catalog file so the new entity joins the catalog.",
        input_schema={
            "type": "object",
            "properties": {
                "catalogInfoUrl": {"type": "string"},
                "repoContentsUrl": {"type": "string"},
                "catalogInfoPath": {"type": "string"},
                "optional": {"type": "boolean"},
            },
        },
        output_schema={
            "type": "object",
            "properties": {"entityRef": {"type": "string"}, "catalogInfoUrl": {"type": "string"}},
        },
    ),
]
