"""Load catalog YAML from files and directories, the way Backstage's file locations do.

A file may hold several documents. Documents that are not entities (OpenAPI definitions,
``mkdocs.yml``, anything without ``apiVersion`` and ``kind``) are skipped silently but counted.
``Location`` entities are kept and their targets followed as Backstage follows them: a relative
target (of a ``file`` or a ``url`` Location alike) is resolved against the Location's own file,
globs (``./utils/**/catalog-info.yaml``) included, and ``$text``/``$json``/``$yaml`` placeholders
against the entity's file. Absolute URL targets are read through ``url_reader`` when one is given
(the GitHub integration), else reported as not fetched. Each file is read once even when a
directory walk and a Location both reach it. A broken document or file becomes a
:class:`LoadError` naming the file and line; the rest loads. A placeholder whose file cannot be
read is a warning naming the file, the field and the missing file, and its entity still loads.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin

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
# Hidden folders are skipped on a directory walk, except the one repositories keep catalog files in.
CATALOG_DIRS = {".backstage"}


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


# Reads what a ``$text``/``$json``/``$yaml`` placeholder points at, relative to the entity's file
# or URL; raises OSError when it cannot, Unreadable for a URL nothing here can fetch.
PlaceholderReader = Callable[[str], str]


class Unreadable(Exception):
    """A URL that no reader configured here serves (no integration for its host)."""


class UrlReader(Protocol):
    """Reads catalog files by URL, as Backstage's URL readers do (the GitHub integration)."""

    def read(self, url: str) -> str:
        """The file's text; Unreadable when this reader does not serve the URL, OSError when it
        serves it but the file cannot be read (FileNotFoundError: there is none)."""
        ...

    def search(self, url: str) -> list[str]:
        """The file URLs a glob URL (``…/blob/main/**/catalog-info.yaml``) matches."""
        ...


def is_url(target: str) -> bool:
    return "://" in target


def file_reader(base_dir: Path, url_reader: UrlReader | None = None) -> PlaceholderReader:
    """Placeholders of an entity read from a local file: relative to its folder; absolute URLs
    through ``url_reader`` when there is one."""

    def read(target: str) -> str:
        if is_url(target):
            if url_reader is None:
                raise Unreadable(target)
            return url_reader.read(target)
        return (base_dir / target).resolve().read_text(encoding="utf-8")

    return read


def url_relative_reader(base_url: str, url_reader: UrlReader) -> PlaceholderReader:
    """Placeholders of an entity read from a URL: relative to that URL."""
    return lambda target: url_reader.read(urljoin(base_url, target))


def entities_from_text(
    text: str,
    path: str,
    location: str | None = None,
    base_dir: Path | None = None,
    origin: str | None = None,
    read: PlaceholderReader | None = None,
) -> LoadResult:
    """Entities of one YAML text. ``location`` becomes the managed-by-location annotation and
    ``origin`` (the source the user registered) the managed-by-origin-location one. Placeholders
    are read with ``read``, or relative to ``base_dir``; with neither they are left as they are."""
    if read is None and base_dir is not None:
        read = file_reader(base_dir)
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
        entity, problems = build_entity(doc, path, line, location, origin=origin, read=read)
        label = _label(doc)
        severity = "error" if entity is None else "warning"
        ref = entity.ref if entity is not None else None
        for problem in problems:
            result.errors.append(
                LoadError(path=path, line=line, reason=f"{label}: {problem}", ref=ref, severity=severity)
            )
        if entity is not None:
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
    origin: str | None = None,
    read: PlaceholderReader | None = None,
) -> tuple[Entity | None, list[str]]:
    """Validate one document like Backstage and turn it into an :class:`Entity`.

    Returns ``(entity, problems)``: with no entity, the problems are why it was rejected; with one,
    they are warnings about it (a placeholder that could not be read, see below)."""
    warnings: list[str] = []
    if read is not None and isinstance(doc.get("spec"), dict):
        warnings = _resolve_placeholders(doc["spec"], read, "spec")
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
        return Entity.from_dict(doc, source_path=path, line=line), warnings
    except ValidationError as exc:
        return None, [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]


def _resolve_placeholders(node: Any, read: PlaceholderReader, where: str, depth: int = 0) -> list[str]:
    """Resolve ``$text``/``$json``/``$yaml`` placeholders in place, each read with ``read``.

    One that cannot be read (a schema file the repository does not have) is left as it is and
    reported, naming the field, so the entity still loads with everything else it says: Backstage
    would hold the whole entity back, and a catalog question about its owner or links would then
    have no answer although the file gives one. The tools say the definition was not loaded."""
    problems: list[str] = []
    if depth > 20:
        return problems
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        field = f"{where}[{key}]" if isinstance(node, list) else f"{where}.{key}"
        if isinstance(value, dict) and len(value) == 1:
            ((marker, target),) = value.items()
            if marker in ("$text", "$json", "$yaml") and isinstance(target, str):
                try:
                    raw = read(target)
                    node[key] = (
                        raw
                        if marker == "$text"
                        else json.loads(raw)
                        if marker == "$json"
                        else yaml.load(raw, Loader=_BaseLoader)
                    )
                except Unreadable:
                    pass  # a URL no reader here can fetch: left as it is, for Backstage to resolve
                except (OSError, ValueError, yaml.YAMLError) as exc:
                    problems.append(
                        f"{field}: {marker} placeholder {target!r} could not be read ({_reason(exc)}); "
                        "the entity is kept with this field not loaded"
                    )
                continue
        if isinstance(value, dict | list):
            problems.extend(_resolve_placeholders(value, read, field, depth + 1))
    return problems


def _reason(exc: Exception) -> str:
    """A short cause: the missing file's path for a FileNotFoundError, else the first line."""
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"no such file: {exc.filename}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class FileLoader:
    """Walks paths and URLs, following Location targets; each file is read at most once.

    ``url_reader`` serves absolute URL targets and whatever is relative to them; without one, a
    URL target is reported as not fetched.
    """

    MAX_URLS = 2000  # a Location loop or a glob over a monorepo stops here, with an error

    def __init__(self, url_reader: UrlReader | None = None) -> None:
        self.seen: set[Path | str] = set()
        self.result = LoadResult()
        self.origin: str | None = None
        self.url_reader = url_reader

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
        read = file_reader(resolved.parent, self.url_reader)
        loaded = entities_from_text(text, str(file), location=f"file:{resolved}", origin=self.origin, read=read)
        self._add(loaded, resolved.parent)

    def load_url(self, url: str, *, origin: str | None = None, missing_ok: bool = False) -> bool:
        """Load the entities of a catalog file at ``url``; False when there is no such file."""
        if self.url_reader is None:
            raise Unreadable(url)
        if url in self.seen:
            return True
        self.seen.add(url)
        if sum(isinstance(s, str) for s in self.seen) > self.MAX_URLS:
            self.result.errors.append(LoadError(path=url, reason=f"not read: more than {self.MAX_URLS} catalog URLs"))
            return True
        try:
            text = self.url_reader.read(url)
        except FileNotFoundError:
            if not missing_ok:
                self.result.errors.append(LoadError(path=url, reason="no such file at this URL"))
            return False
        except OSError as exc:
            self.result.errors.append(LoadError(path=url, reason=f"cannot read URL: {exc}"))
            return True
        if origin is not None:
            self.origin = origin
        read = url_relative_reader(url, self.url_reader)
        origin = self.origin or f"url:{url}"
        self._add(entities_from_text(text, url, location=f"url:{url}", origin=origin, read=read), url)
        return True

    def _add(self, loaded: LoadResult, base: Path | str) -> None:
        self.result.extend(loaded)
        for entity in loaded.entities:
            if entity.kind_lower == "location":
                self._follow(entity, base)

    def _follow(self, location: Entity, base: Path | str) -> None:
        """Load a Location's targets: relative ones against ``base`` (its folder or its URL),
        whatever the Location's ``type``, as Backstage resolves them."""
        spec = location.spec
        targets = [spec["target"]] if isinstance(spec.get("target"), str) else []
        targets += [t for t in spec.get("targets") or [] if isinstance(t, str)]
        optional = spec.get("presence") == "optional"  # Backstage ignores missing optional targets
        for target in targets:
            if is_url(target) or isinstance(base, str):
                self._follow_url(location, urljoin(base, target) if isinstance(base, str) else target, optional)
                continue
            pattern = target if os.path.isabs(target) else str(base / target)
            matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
            if not matches or not any(Path(m).exists() for m in matches):
                if not optional:
                    self._problem(location, f"Location target {target!r} does not exist ({pattern})")
                continue
            for match in matches:
                self.load_path(Path(match))

    def _follow_url(self, location: Entity, url: str, optional: bool) -> None:
        try:
            urls = self.url_reader.search(url) if self.url_reader and glob.has_magic(url) else [url]
            if not urls and not optional:
                self._problem(location, f"Location target {url!r} matches no file")
            for each in urls:
                if not self.load_url(each, missing_ok=True) and not optional:
                    self._problem(location, f"Location target {each!r} does not exist")
        except Unreadable:
            self._problem(location, f"Location target {url!r} is a URL and was not fetched", severity="warning")
        except OSError as exc:
            self._problem(location, f"Location target {url!r} could not be read: {exc}")

    def _problem(self, location: Entity, reason: str, severity: str = "error") -> None:
        self.result.errors.append(
            LoadError(
                path=location.source_path or "",
                line=location.source_line,
                severity=severity,
                ref=location.ref,
                reason=reason,
            )
        )


def _yaml_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and (not d.startswith(".") or d in CATALOG_DIRS))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(YAML_SUFFIXES))
    return out


def load_paths(paths: Iterable[str | Path], url_reader: UrlReader | None = None) -> LoadResult:
    """Load every entity reachable from these files and directories."""
    return FileLoader(url_reader).load(paths)


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
