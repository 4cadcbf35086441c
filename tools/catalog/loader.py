"""Load catalog YAML from files and directories, the way Backstage's file locations do.

A file may hold several documents. Documents that are not entities (OpenAPI definitions,
``mkdocs.yml``, anything without ``apiVersion`` and ``kind``) are skipped silently but counted.
``Location`` entities are kept and their targets followed (relative to the Location's file,
globs allowed). Each file is read once even when a directory walk and a Location both reach it.
A broken document or file becomes a :class:`LoadError` naming the file and line; the rest loads.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tools.catalog.model import ANNOTATION_MANAGED_BY_LOCATION, ANNOTATION_MANAGED_BY_ORIGIN_LOCATION, Entity
from tools.catalog.rules import check_entity

try:  # libyaml is much faster; fall back to the pure-Python loader when it is absent
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", "node_modules", ".venv", "__pycache__", ".portal-agent"}


class LoadError(BaseModel):
    """A problem found while loading or validating: where it is and why."""

    path: str
    line: int | None = None
    reason: str
    severity: str = "error"  # error | warning
    ref: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.reason}"


@dataclass
class LoadResult:
    entities: list[Entity] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    skipped: int = 0  # documents that were not entities
    files: int = 0

    def extend(self, other: LoadResult) -> None:
        self.entities.extend(other.entities)
        self.errors.extend(other.errors)
        self.skipped += other.skipped
        self.files += other.files


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Records the 1-based line where each document's root node starts."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.doc_lines: list[int] = []

    def construct_document(self, node: yaml.Node) -> Any:
        self.doc_lines.append(node.start_mark.line + 1)
        return super().construct_document(node)


def parse_documents(text: str, path: str) -> tuple[list[tuple[Any, int]], LoadError | None]:
    """All documents of a YAML stream with their start lines; stops at the first syntax error."""
    loader = _LineLoader(text)
    docs: list[tuple[Any, int]] = []
    try:
        while loader.check_data():
            data = loader.get_data()
            docs.append((data, loader.doc_lines[-1] if loader.doc_lines else 1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return docs, LoadError(path=path, line=line, reason=f"invalid YAML: {problem}")
    finally:
        loader.dispose()
    return docs, None


def is_entity_document(doc: Any) -> bool:
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc


def entities_from_text(
    text: str,
    path: str,
    location: str | None = None,
    base_dir: Path | None = None,
    origin: str | None = None,
) -> LoadResult:
    """Entities of one YAML text. ``location`` becomes the managed-by-location annotation and
    ``origin`` (the source the user registered) the managed-by-origin-location one."""
    result = LoadResult(files=1)
    docs, error = parse_documents(text, path)
    if error:
        result.errors.append(error)
    for doc, line in docs:
        if doc is None:
            continue
        if not is_entity_document(doc):
            result.skipped += 1
            continue
        entity, problems = build_entity(doc, path, line, location, base_dir, origin)
        if entity is None:
            label = _label(doc)
            for problem in problems:
                result.errors.append(LoadError(path=path, line=line, reason=f"{label}: {problem}", ref=None))
        else:
            result.entities.append(entity)
    return result


def _label(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    return f"{doc.get('kind')} {meta.get('name')!r}" if meta.get("name") else f"{doc.get('kind')} entity"


def build_entity(
    doc: dict[str, Any],
    path: str,
    line: int | None,
    location: str | None = None,
    base_dir: Path | None = None,
    origin: str | None = None,
) -> tuple[Entity | None, list[str]]:
    """Validate one document like Backstage and turn it into an :class:`Entity`."""
    if base_dir is not None and isinstance(doc.get("spec"), dict):
        placeholder_problems = _resolve_placeholders(doc["spec"], base_dir)
        if placeholder_problems:
            return None, placeholder_problems
    problems = check_entity(doc)
    if problems:
        return None, problems
    if location:
        metadata = doc.setdefault("metadata", {})
        annotations = metadata.get("annotations")
        if not isinstance(annotations, dict):
            annotations = metadata["annotations"] = {}
        annotations.setdefault(ANNOTATION_MANAGED_BY_LOCATION, location)
        annotations.setdefault(ANNOTATION_MANAGED_BY_ORIGIN_LOCATION, origin or location)
    try:
        return Entity.from_dict(doc, source_path=path, line=line), []
    except ValidationError as exc:
        return None, [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]


def _resolve_placeholders(node: Any, base_dir: Path, depth: int = 0) -> list[str]:
    """Resolve ``$text``/``$json``/``$yaml`` placeholders that point to local files, in place."""
    problems: list[str] = []
    if depth > 20:
        return problems
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if isinstance(value, dict) and len(value) == 1:
            ((marker, target),) = value.items()
            if marker in ("$text", "$json", "$yaml") and isinstance(target, str):
                if "://" in target:
                    continue  # remote placeholders are left for Backstage to resolve
                file = (base_dir / target).resolve()
                try:
                    raw = file.read_text(encoding="utf-8")
                    node[key] = (
                        raw
                        if marker == "$text"
                        else json.loads(raw)
                        if marker == "$json"
                        else yaml.load(raw, Loader=_BaseLoader)
                    )
                except (OSError, ValueError, yaml.YAMLError) as exc:
                    problems.append(f"{marker} placeholder {target!r} could not be read: {exc}")
                continue
        if isinstance(value, dict | list):
            problems.extend(_resolve_placeholders(value, base_dir, depth + 1))
    return problems


class FileLoader:
    """Walks paths, following Location targets; each file is read at most once."""

    def __init__(self) -> None:
        self.seen: set[Path] = set()
        self.result = LoadResult()
        self.origin: str | None = None

    def load(self, paths: Iterable[str | Path]) -> LoadResult:
        for raw in paths:
            path = Path(raw).expanduser()
            self.origin = f"file:{path.resolve()}"
            self.load_path(path)
        return self.result

    def load_path(self, path: Path) -> None:
        if path.is_dir():
            for file in _yaml_files(path):
                self.load_file(file)
        elif path.is_file():
            self.load_file(path)
        else:
            self.result.errors.append(LoadError(path=str(path), reason="no such file or directory"))

    def load_file(self, file: Path) -> None:
        resolved = file.resolve()
        if resolved in self.seen:
            return
        self.seen.add(resolved)
        try:
            text = resolved.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.result.errors.append(LoadError(path=str(file), reason=f"cannot read file: {exc}"))
            return
        loaded = entities_from_text(
            text, str(file), location=f"file:{resolved}", base_dir=resolved.parent, origin=self.origin
        )
        self.result.extend(loaded)
        for entity in loaded.entities:
            if entity.kind_lower == "location":
                self._follow(entity, resolved.parent)

    def _follow(self, location: Entity, base_dir: Path) -> None:
        spec = location.spec
        targets = [spec["target"]] if isinstance(spec.get("target"), str) else []
        targets += [t for t in spec.get("targets") or [] if isinstance(t, str)]
        kind = str(spec.get("type") or "file")
        for target in targets:
            if kind == "url" or "://" in target:
                self.result.errors.append(
                    LoadError(
                        path=location.source_path or "",
                        line=location.source_line,
                        severity="warning",
                        ref=location.ref,
                        reason=f"Location target {target!r} is a URL and was not fetched",
                    )
                )
                continue
            pattern = target if os.path.isabs(target) else str(base_dir / target)
            matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
            if not matches or not any(Path(m).exists() for m in matches):
                if spec.get("presence") == "optional":
                    continue  # Backstage ignores missing optional targets
                self.result.errors.append(
                    LoadError(
                        path=location.source_path or "",
                        line=location.source_line,
                        ref=location.ref,
                        reason=f"Location target {target!r} does not exist ({pattern})",
                    )
                )
                continue
            for match in matches:
                self.load_path(Path(match))


def _yaml_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(YAML_SUFFIXES))
    return out


def load_paths(paths: Iterable[str | Path]) -> LoadResult:
    """Load every entity reachable from these files and directories."""
    return FileLoader().load(paths)


def duplicate_errors(entities: list[Entity]) -> tuple[list[Entity], list[LoadError]]:
    """Keep the first entity of each ref; report the others with both locations."""
    first: dict[str, Entity] = {}
    kept: list[Entity] = []
    errors: list[LoadError] = []
    for entity in entities:
        key = entity.key
        if key in first:
            prev = first[key]
            errors.append(
                LoadError(
                    path=entity.source_path or "",
                    line=entity.source_line,
                    ref=entity.ref,
                    reason=f"duplicate entity {entity.ref}: already defined at "
                    f"{prev.source_path}:{prev.source_line}; this one is ignored",
                )
            )
            continue
        first[key] = entity
        kept.append(entity)
    return kept, errors
