"""``portal-agent catalog validate PATH``: lint catalog YAML the way Backstage would judge it.

Errors are what Backstage rejects (invalid YAML, bad names, missing required spec fields,
duplicate refs, unreadable placeholders, missing Location targets). Warnings are what it accepts
but what breaks the catalog graph: references to entities that are not in the files validated
(dangling owners, systems, APIs…), and ``dependsOn`` entries without a kind, which Backstage
cannot resolve.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tools.catalog.loader import LoadError, duplicate_errors, load_paths
from tools.catalog.relations import spec_refs


def validate_path(path: str | Path | Iterable[str | Path]) -> list[LoadError]:
    """All problems found under ``path`` (a file, a directory, or several), errors first."""
    paths = [path] if isinstance(path, str | Path) else list(path)
    loaded = load_paths(paths)
    entities, duplicates = duplicate_errors(loaded.entities)
    problems: list[LoadError] = [*loaded.errors, *duplicates]
    known = {entity.key for entity in entities}
    for entity in entities:
        for rule, target, problem in spec_refs(entity):
            where = {"path": entity.source_path or "", "line": entity.source_line, "ref": entity.ref}
            if problem:
                severity = "error" if not target else "warning"
                problems.append(LoadError(severity=severity, reason=f"{entity.ref}: {problem}", **where))
            if target and target.lower() not in known:
                problems.append(
                    LoadError(
                        severity="warning",
                        **where,
                        reason=f"{entity.ref}: spec.{rule.field} refers to {target}, which is not in the catalog",
                    )
                )
    problems.sort(key=lambda e: (e.severity != "error", e.path, e.line or 0))
    return problems


def format_problems(problems: list[LoadError]) -> str:
    """One line per problem, then a count; what the CLI prints."""
    lines = [str(p) for p in problems]
    errors = sum(1 for p in problems if p.severity == "error")
    lines.append(f"{errors} error(s), {len(problems) - errors} warning(s)")
    return "\n".join(lines)
