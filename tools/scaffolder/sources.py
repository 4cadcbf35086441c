"""Where templates come from: the catalog's Template entities, the ``templates`` setting (files or
folders), and templates generated in this data dir. A broken template is reported with its file
and reason; the others still load.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contract.shared_files import SharedFiles
from tools.scaffolder.model import API_VERSION, Template, TemplateError

WORD = re.compile(r"[a-z0-9]+")


@dataclass
class TemplateIndex:
    templates: list[Template] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, template: Template) -> None:
        self.templates = [t for t in self.templates if t.ref != template.ref] + [template]

    def get(self, ref_or_name: str | None) -> Template | None:
        """By ref, ``namespace/name``, name or title (case-insensitive), else the closest name."""
        if not ref_or_name:
            return None
        text = ref_or_name.strip().lower()
        if text.startswith("template:"):
            text = text.split(":", 1)[1]
        name = text.split("/", 1)[1] if "/" in text else text
        for t in self.templates:
            if t.name.lower() == name or (t.title or "").lower() == text:
                return t
        from rapidfuzz import fuzz, process

        names = {t.name: t for t in self.templates}
        best = process.extractOne(name, list(names), scorer=fuzz.WRatio) if names else None
        if best and best[1] >= 85:
            return names[best[0]]
        return None

    def match(self, text: str) -> tuple[Template | None, float]:
        """The template a free-text ask is about ("a new Python service" → python-fastapi-service)."""
        words = set(WORD.findall(text.lower()))
        words |= {_SYNONYMS[w] for w in words if w in _SYNONYMS}
        best, best_score = None, 0.0
        for t in self.templates:
            vocab = set(WORD.findall(" ".join([t.name, t.title or "", t.type or "", *t.tags]).lower()))
            if t.name.lower() in text.lower():
                return t, 10.0
            score = float(len(words & vocab))
            if score > best_score:
                best, best_score = t, score
        return best, best_score


_SYNONYMS = {
    "golang": "go",
    "py": "python",
    "documentation": "docs",
    "techdocs": "docs",
    "site": "docs",
    "mkdocs": "docs",
    "api": "service",
    "microservice": "service",
    "grpc": "go",
}


def _template_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    out = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in ("skeleton", "node_modules") and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")):
                out.append(Path(dirpath) / name)
    return out


def _is_template_file(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8")[:4000]
    except OSError:
        return False
    return API_VERSION in head and re.search(r"^kind:\s*Template\s*$", head, re.MULTILINE) is not None


def load_from_paths(paths: list[str | Path], index: TemplateIndex) -> None:
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            index.errors.append(f"{path}: no such file or directory")
            continue
        for file in _template_files(path):
            if not _is_template_file(file):
                continue
            try:
                index.add(Template.from_file(file))
            except TemplateError as exc:
                index.errors.append(str(exc))


GENERATED_NAMESPACE = "scaffolder-generated"


def generated_dir(runtime: Any) -> Path:
    """Where generated templates are read from: this process's copy when replicas share them."""
    return runtime.data_dir / "scaffolder" / "generated"


def _shared_generated(runtime: Any) -> SharedFiles | None:
    return getattr(runtime, "shared_files", lambda namespace: None)(GENERATED_NAMESPACE)


def publish_generated(runtime: Any, folder: Path) -> None:
    """A template just generated into ``folder`` (under :func:`generated_dir`), for the other replicas."""
    shared = _shared_generated(runtime)
    if shared is None:
        return
    shared.remove(f"{folder.name}/")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        shared.put(f"{folder.name}/{path.relative_to(folder).as_posix()}", path.read_text(encoding="utf-8"))


def _materialise_generated(runtime: Any, shared: SharedFiles) -> None:
    """The shared generated templates as this process's folder (written fresh: another replica may
    have replaced one). Names are checked: nothing is written outside the folder."""
    import shutil

    target = generated_dir(runtime)
    if target.exists():
        shutil.rmtree(target)
    for name, text in shared.read_all().items():
        parts = name.split("/")
        if len(parts) < 2 or any(part in ("", ".", "..") for part in parts):
            continue
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def build_index(runtime: Any) -> TemplateIndex:
    index = TemplateIndex()
    try:
        entities = runtime.catalog.all("template")
    except Exception as exc:  # no catalog: settings and generated templates only
        index.errors.append(f"catalog unavailable: {exc}")
        entities = []
    for entity in entities:
        try:
            index.add(Template.from_entity(entity))
        except TemplateError as exc:
            index.errors.append(f"{entity.ref}: {exc}")
    load_from_paths(list(runtime.settings.templates), index)
    shared = _shared_generated(runtime)
    if shared is not None:
        _materialise_generated(runtime, shared)
    gen = generated_dir(runtime)
    if gen.is_dir():
        load_from_paths([gen], index)
    return index


def templates_of(runtime: Any) -> TemplateIndex:
    """The runtime's template index, built once and refreshed when a template is generated (here,
    or on another replica: the shared templates' version is compared on each use)."""
    shared = _shared_generated(runtime)
    if shared is not None:
        version = shared.version()
        built = runtime.service("scaffolder.templates.version", lambda: [version])
        if built[0] != version:
            runtime.reset_service("scaffolder.templates")
            built[0] = version
    return runtime.service("scaffolder.templates", lambda: build_index(runtime))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
