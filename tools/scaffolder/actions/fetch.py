"""fetch:template, fetch:plain and fetch:cookiecutter: copy a skeleton into the workspace.

fetch:template follows Backstage's semantics: file names and contents are rendered with the values
under ``values`` (``${{ values.x }}``), except entries matching ``copyWithoutRender`` globs (names
and contents kept) or ``copyWithoutTemplating`` globs (names rendered, contents kept); with
``templateFileExtension`` only files ending in it (default ``.njk``) are rendered, and lose the
extension. Binary files and symlinks are copied. Existing files are kept unless ``replace``.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path
from typing import Any

from tools.scaffolder.actions.base import Action, ActionContext, ActionError, safe_child
from tools.scaffolder.expressions import TemplateRenderError, render_string


def _is_remote(url: str) -> bool:
    return "://" in url and not url.startswith("file://")


def resolve_source(url: str, ctx: ActionContext) -> Path | None:
    """The local directory or file behind ``url`` (relative to the template), or None if remote."""
    if not isinstance(url, str) or not url:
        raise ActionError("input 'url' is required")
    if _is_remote(url):
        if ctx.run.resolve_remote is not None:
            return ctx.run.resolve_remote(url)
        return None
    local = url[len("file://") :] if url.startswith("file://") else None
    path = Path(local) if local is not None else (ctx.run.template.base_dir / url).resolve()
    if not path.exists():
        raise ActionError(f"the template's {url!r} does not exist ({path})")
    return path


def _remote_unavailable(url: str, ctx: ActionContext) -> None:
    message = f"remote URL {url} cannot be fetched here (no network access)"
    if ctx.run.dry_run:
        ctx.info(f"skipped: {message}; its files are not part of this dry run")
        return
    raise ActionError(message)


def _entries(root: Path) -> list[str]:
    """Every file and directory under ``root`` (directories end with '/'), dotfiles included."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        for d in dirnames:
            out.append(os.path.normpath(os.path.join(rel_dir, d)).replace(os.sep, "/") + "/")
        for f in sorted(filenames):
            out.append(os.path.normpath(os.path.join(rel_dir, f)).replace(os.sep, "/"))
    return out


def _matches(entry: str, patterns: list[str]) -> bool:
    """globby-style matching: a pattern matching a directory covers everything under it."""
    bare = entry.rstrip("/")
    parts = bare.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for raw in patterns:
        pattern = raw.lstrip("./") if raw.startswith("./") else raw
        pattern = pattern.rstrip("/")
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            return True
        if pattern.endswith("/**") and bare.startswith(pattern[:-3]):
            return True
    return False


def is_binary(path: Path) -> bool:
    try:
        head = path.read_bytes()[:8192]
    except OSError:
        return True
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4  # a multi-byte character cut at the boundary is fine
    return False


def _copy_tree(
    source: Path,
    target_dir: Path,
    ctx: ActionContext,
    *,
    context: dict[str, Any] | None,
    no_render: list[str],
    no_template: list[str],
    extension: str | None,
    replace: bool,
    cookiecutter: bool = False,
) -> int:
    """Copy (and render) ``source`` into ``target_dir``; returns the number of files written."""
    written = 0
    if source.is_file():
        entries, root = [source.name], source.parent
    else:
        entries, root = _entries(source), source
    for entry in entries:
        local = entry
        if context is None:
            render_name = render_contents = False
        elif extension:
            render_contents = entry.endswith(extension) and not entry.endswith("/")
            if render_contents:
                local = entry[: -len(extension)]
            render_name = True
        else:
            render_name = not _matches(entry, no_render)
            render_contents = render_name and not _matches(entry, no_template)
        if render_name:
            try:
                local = render_string(local, context or {}, cookiecutter=cookiecutter, where=f"file name {entry}")
            except TemplateRenderError as exc:
                raise ActionError(str(exc)) from exc
        if not local.strip("/") or "//" in local.strip("/") or local.strip("/").split("/")[-1] == "":
            ctx.info(f"skipped {entry}: its name rendered empty")
            continue
        out_path = safe_child(target_dir, local, "output path")
        rel_out = os.path.relpath(out_path, ctx.workspace).replace(os.sep, "/")
        if entry.endswith("/"):
            out_path.mkdir(parents=True, exist_ok=True)
            continue
        if out_path.exists() and not replace:
            ctx.info(f"kept existing {rel_out} (replace is off)")
            continue
        in_path = root / entry
        out_path.parent.mkdir(parents=True, exist_ok=True)
        if in_path.is_symlink() or is_binary(in_path) or not render_contents:
            shutil.copy2(in_path, out_path, follow_symlinks=False)
            if context is not None and not render_contents:
                ctx.run.not_rendered.add(rel_out)
        else:
            text = in_path.read_text(encoding="utf-8")
            try:
                rendered = render_string(text, context or {}, cookiecutter=cookiecutter, where=entry)
            except TemplateRenderError as exc:
                raise ActionError(f"cannot render {entry}: {exc}") from exc
            out_path.write_text(rendered, encoding="utf-8")
            shutil.copymode(in_path, out_path)
            ctx.run.not_rendered.discard(rel_out)
        written += 1
    return written


def _target_dir(input: dict[str, Any], ctx: ActionContext) -> Path:
    target = safe_child(ctx.workspace, str(input.get("targetPath") or "./"), "targetPath")
    target.mkdir(parents=True, exist_ok=True)
    return target


def fetch_template(input: dict[str, Any], ctx: ActionContext) -> None:
    no_render = list(input.get("copyWithoutRender") or [])
    no_template = list(input.get("copyWithoutTemplating") or [])
    ext_input = input.get("templateFileExtension")
    if ext_input and (no_render or no_template):
        raise ActionError(
            "input extension incompatible with copyWithoutRender/copyWithoutTemplating and cookiecutterCompat"
        )
    extension = None
    if ext_input:
        extension = ".njk" if ext_input is True else str(ext_input)
        if not extension.startswith("."):
            extension = f".{extension}"
    cookie = bool(input.get("cookiecutterCompat"))
    if cookie and (no_render or no_template or extension):
        raise ActionError(
            "input extension incompatible with copyWithoutRender/copyWithoutTemplating and cookiecutterCompat"
        )
    url = str(input.get("url") or "")
    source = resolve_source(url, ctx)
    if source is None:
        return _remote_unavailable(url, ctx)
    values = input.get("values") or {}
    context = {("cookiecutter" if cookie else "values"): values}
    count = _copy_tree(
        source,
        _target_dir(input, ctx),
        ctx,
        context=context,
        no_render=no_render,
        no_template=no_template,
        extension=extension,
        replace=bool(input.get("replace")),
        cookiecutter=cookie,
    )
    ctx.info(f"fetched and rendered {count} files from {url}")


def fetch_plain(input: dict[str, Any], ctx: ActionContext) -> None:
    url = str(input.get("url") or "")
    source = resolve_source(url, ctx)
    if source is None:
        return _remote_unavailable(url, ctx)
    count = _copy_tree(
        source, _target_dir(input, ctx), ctx, context=None, no_render=[], no_template=[], extension=None, replace=True
    )
    ctx.info(f"copied {count} files from {url} without rendering")


def fetch_cookiecutter(input: dict[str, Any], ctx: ActionContext) -> None:
    """Cookiecutter skeletons use ``{{ cookiecutter.x }}``; rendered with the same engine, no hooks."""
    url = str(input.get("url") or "")
    source = resolve_source(url, ctx)
    if source is None:
        return _remote_unavailable(url, ctx)
    context = {"cookiecutter": input.get("values") or {}}
    count = _copy_tree(
        source,
        _target_dir(input, ctx),
        ctx,
        context=context,
        no_render=list(input.get("copyWithoutRender") or []),
        no_template=[],
        extension=None,
        replace=True,
        cookiecutter=True,
    )
    ctx.info(f"fetched and rendered {count} files from {url} (cookiecutter syntax)")


_URL = {"type": "string", "description": "Relative path or absolute URL of the skeleton"}
_TARGET = {"type": "string", "description": "Directory in the workspace to write to"}

ACTIONS = [
    Action(
        id="fetch:template",
        handler=fetch_template,
        supports_dry_run=True,
        description="Render a skeleton directory with the given values into the workspace.",
        input_schema={
            "type": "object",
            "required": ["url"],
            "properties": {
                "url": _URL,
                "targetPath": _TARGET,
                "values": {"type": "object"},
                "copyWithoutRender": {"type": "array", "items": {"type": "string"}},
                "copyWithoutTemplating": {"type": "array", "items": {"type": "string"}},
                "cookiecutterCompat": {"type": "boolean"},
                "templateFileExtension": {"type": ["string", "boolean"]},
                "replace": {"type": "boolean"},
                "token": {},
            },
        },
    ),
    Action(
        id="fetch:plain",
        handler=fetch_plain,
        supports_dry_run=True,
        description="Copy a directory or file into the workspace without rendering it.",
        input_schema={
            "type": "object",
            "required": ["url"],
            "properties": {"url": _URL, "targetPath": _TARGET, "token": {}},
        },
    ),
    Action(
        id="fetch:cookiecutter",
        handler=fetch_cookiecutter,
        supports_dry_run=True,
        description="Render a cookiecutter skeleton ({{ cookiecutter.x }}) into the workspace (no hooks).",
        input_schema={
            "type": "object",
            "required": ["url"],
            "properties": {
                "url": _URL,
                "targetPath": _TARGET,
                "values": {"type": "object"},
                "copyWithoutRender": {"type": "array", "items": {"type": "string"}},
            },
        },
    ),
]
