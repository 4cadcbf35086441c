"""fs:rename, fs:delete and debug:log: small workspace chores, all safe to run in a dry run."""

from __future__ import annotations

import glob
import os
import shutil
from typing import Any

from tools.scaffolder.actions.base import Action, ActionContext, ActionError, safe_child


def fs_rename(input: dict[str, Any], ctx: ActionContext) -> None:
    files = input.get("files")
    if not isinstance(files, list):
        raise ActionError("files must be an Array")
    for item in files:
        if not isinstance(item, dict) or not item.get("from") or not item.get("to"):
            raise ActionError("each file must have a from and to property")
        source = safe_child(ctx.workspace, str(item["from"]), "from")
        dest = safe_child(ctx.workspace, str(item["to"]), "to")
        if not source.exists():
            raise ActionError(f"cannot rename {item['from']}: it does not exist in the workspace")
        if dest.exists() and not item.get("overwrite"):
            raise ActionError(
                f"cannot rename {item['from']} to {item['to']}: the destination exists (set overwrite: true)"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
        shutil.move(str(source), str(dest))
        old = os.path.relpath(source, ctx.workspace).replace(os.sep, "/")
        new = os.path.relpath(dest, ctx.workspace).replace(os.sep, "/")
        moved = {p for p in ctx.run.not_rendered if p == old or p.startswith(old + "/")}
        for path in moved:
            ctx.run.not_rendered.discard(path)
            ctx.run.not_rendered.add(new + path[len(old) :])
        ctx.info(f"renamed {old} to {new}")


def fs_delete(input: dict[str, Any], ctx: ActionContext) -> None:
    files = input.get("files")
    if not isinstance(files, list):
        raise ActionError("files must be an Array")
    for pattern in files:
        safe_child(ctx.workspace, str(pattern), "file")
        matches = glob.glob(str(ctx.workspace / str(pattern)), recursive=True, include_hidden=True)
        for match in sorted(matches, reverse=True):
            path = safe_child(ctx.workspace, os.path.relpath(match, ctx.workspace), "file")
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            rel = os.path.relpath(path, ctx.workspace).replace(os.sep, "/")
            ctx.run.not_rendered = {p for p in ctx.run.not_rendered if p != rel and not p.startswith(rel + "/")}
            ctx.info(f"deleted {rel}")


def debug_log(input: dict[str, Any], ctx: ActionContext) -> None:
    if input.get("message") is not None:
        ctx.info(str(input["message"]).rstrip())
    listing = input.get("listWorkspace")
    if listing:
        files = sorted(
            os.path.relpath(os.path.join(d, f), ctx.workspace).replace(os.sep, "/")
            for d, _, names in os.walk(ctx.workspace)
            for f in names
        )
        if listing == "with-contents":
            for f in files:
                ctx.info(f"{f}:\n{(ctx.workspace / f).read_text(encoding='utf-8', errors='replace')}")
        else:
            ctx.info("Workspace:\n" + "\n".join(f"  - {f}" for f in files))


ACTIONS = [
    Action(
        id="fs:rename",
        handler=fs_rename,
        supports_dry_run=True,
        description="Rename files or directories in the workspace.",
        input_schema={"type": "object", "required": ["files"], "properties": {"files": {"type": "array"}}},
    ),
    Action(
        id="fs:delete",
        handler=fs_delete,
        supports_dry_run=True,
        description="Delete files or directories (glob patterns) from the workspace.",
        input_schema={
            "type": "object",
            "required": ["files"],
            "properties": {"files": {"type": "array", "items": {"type": "string"}}},
        },
    ),
    Action(
        id="debug:log",
        handler=debug_log,
        supports_dry_run=True,
        description="Write a message (and optionally the workspace listing) to the run log.",
        input_schema={
            "type": "object",
            "properties": {"message": {"type": "string"}, "listWorkspace": {"type": ["boolean", "string"]}},
        },
    ),
]
