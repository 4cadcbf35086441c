"""Showing a dry run: the file tree, each file's contents (or a diff against what exists), the steps
and the links, like Backstage's template editor dry-run panel, within a size budget.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from tools.scaffolder.engine import RunResult

FILE_LINES = 40


def tree(paths: list[str], marks: dict[str, str] | None = None) -> str:
    """An indented tree of ``paths`` (posix, relative); ``marks`` adds a note after a file."""
    marks = marks or {}
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        parts = path.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part + "/", {})
        node[parts[-1]] = path
    lines: list[str] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        items = sorted(node.items(), key=lambda kv: (not kv[0].endswith("/"), kv[0]))
        for i, (name, child) in enumerate(items):
            last = i == len(items) - 1
            branch = "└── " if last else "├── "
            if isinstance(child, dict):
                lines.append(f"{prefix}{branch}{name}")
                walk(child, prefix + ("    " if last else "│   "))
            else:
                note = f"  ({marks[child]})" if child in marks else ""
                lines.append(f"{prefix}{branch}{name}{note}")

    walk(root, "")
    return "\n".join(lines)


def _excerpt(text: str, lines: int = FILE_LINES) -> str:
    parts = text.splitlines()
    if len(parts) <= lines:
        return text.rstrip("\n")
    return "\n".join(parts[:lines]) + f"\n… ({len(parts) - lines} more lines)"


def render(
    result: RunResult, *, existing: Path | None = None, max_files: int = 30, file_lines: int = FILE_LINES
) -> str:
    """The dry run as Markdown. With ``existing`` (a repository on disk), changed files show as diffs."""
    marks = {p: "copied without rendering" for p in result.not_rendered}
    for path, data in result.files.items():
        if b"\0" in data[:8192]:
            marks[path] = "binary"
    out = [f"Dry run of {result.template}: {len(result.files)} files."]
    out.append("Steps:")
    for step in result.steps:
        note = f" — {step.note}" if step.note else ""
        each = f" ×{step.iterations}" if step.iterations else ""
        out.append(f"- {step.id} ({step.action}{each}): {step.status}{note}")
    out += ["", "```", tree(list(result.files), marks) or "(no files)", "```"]
    shown = 0
    for path in sorted(result.files):
        if shown >= max_files:
            out.append(f"… {len(result.files) - shown} more files not shown")
            break
        text = result.text_of(path)
        if text is None or marks.get(path) == "binary":
            continue
        before = (existing / path) if existing is not None else None
        if before is not None and before.is_file():
            old = before.read_text(encoding="utf-8", errors="replace")
            if old == text:
                continue
            diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"a/{path}", f"b/{path}"))
            out += ["", f"**{path}** (changed)", "```diff", _excerpt(diff, file_lines), "```"]
        else:
            out += ["", f"**{path}**", "```", _excerpt(text, file_lines), "```"]
        shown += 1
    if result.links or result.text:
        out.append("")
        out.append("Output:")
        for link in result.links:
            target = link.get("url") or link.get("entityRef") or "?"
            out.append(f"- {link.get('title') or 'link'}: {target}")
        for item in result.text:
            out.append(f"- {item.get('title') or 'note'}: {str(item.get('content') or '').strip()}")
    return "\n".join(out)


def existing_tree(result: RunResult, template: Any, publishers: Any) -> Path | None:
    """For a pull request into a repository on disk: the folder the new files would land in, so the
    preview can show diffs against what is there."""
    from tools.scaffolder.publishers import LOCAL_HOST, RepoLocation

    for step in template.steps:
        if step.action != "publish:github:pull-request" or step.id not in result.skipped_inputs:
            continue
        args = result.skipped_inputs[step.id]
        try:
            where = RepoLocation.parse(str(args.get("repoUrl") or ""))
        except ValueError:
            return None
        if where.host != LOCAL_HOST or publishers is None:
            return None
        repo = publishers.repos_dir / where.owner / where.repo
        target = repo / str(args.get("targetPath") or "")
        return target if repo.is_dir() else None
    return None


def summary(result: RunResult) -> dict[str, Any]:
    """Compact JSON for a model: the tree, steps, outputs and short file excerpts."""
    files = {}
    for path in sorted(result.files)[:25]:
        text = result.text_of(path)
        files[path] = _excerpt(text, 12) if text is not None else "(binary)"
    return {
        "template": result.template,
        "values": result.values,
        "file_count": len(result.files),
        "tree": tree(list(result.files)),
        "copied_without_rendering": sorted(result.not_rendered),
        "steps": [
            {"id": s.id, "action": s.action, "status": s.status, **({"note": s.note} if s.note else {})}
            for s in result.steps
        ],
        "links": result.links,
        "text": result.text,
        "files": files,
        "log": result.log[-15:],
    }
