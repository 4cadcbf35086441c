"""Entities registered while the assistant runs (the scaffolder's ``catalog:register``), kept.

Backstage keeps registered locations in its database; here each registration's catalog file is
copied under ``<data dir>/catalog/registered/`` and named, with its location, in
``registrations.jsonl``. Every catalog load applies them after the configured sources, so a
component created from a template is still in the catalog after a restart. A copied file that
is missing or broken becomes a load error naming it; the rest of the catalog still loads.

With replicas sharing PostgreSQL the registrations live there instead (the runtime's
``shared_files("catalog-registered")``): one file per registration holding its location and its
entities, so every replica loads what any of them registered.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import yaml

from contract.shared_files import CATALOG_REGISTRATIONS, SharedFiles
from tools.catalog.loader import LoadError, LoadResult, entities_from_text
from tools.catalog.model import Entity

log = logging.getLogger(__name__)


def registrations(runtime) -> Registrations:
    """The runtime's registrations: shared by the replicas when it has shared files, else local."""
    shared = getattr(runtime, "shared_files", lambda namespace: None)(CATALOG_REGISTRATIONS)
    return Registrations(runtime.data_dir, shared)


class Registrations:
    def __init__(self, data_dir: Path, shared: SharedFiles | None = None):
        self.folder = data_dir / "catalog" / "registered"
        self.index = self.folder / "registrations.jsonl"
        self.shared = shared

    def add(self, path: Path, location: str) -> list[Entity]:
        """Register the entities of the catalog file ``path``; raises ValueError if it holds none.

        The file may sit in a temporary workspace, so what is kept is the entities as loaded
        (``$text``/``$json`` placeholders already resolved against the file's folder), and the
        entities point at the kept copy; ``location`` stays their managed-by-location.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read catalog file {path}: {exc}") from exc
        loaded = entities_from_text(text, str(path), location=location, base_dir=path.parent)
        if loaded.errors:
            raise ValueError("; ".join(str(e) for e in loaded.errors))
        if not loaded.entities:
            raise ValueError(f"{path} holds no catalog entity")
        first = loaded.entities[0]
        name = f"{_safe(first.kind)}-{_safe(first.namespace)}-{_safe(first.name)}.yaml"
        documents = [
            e.model_dump(
                mode="json", by_alias=True, exclude={"relations", "source_path", "source_line"}, exclude_none=True
            )
            for e in loaded.entities
        ]
        text = yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True)
        if self.shared is not None:
            self.shared.put(name, json.dumps({"location": location, "yaml": text}))
            kept = f"{self.shared.where}/{name}"
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_text(text, encoding="utf-8")
            with self.index.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"file": name, "location": location}) + "\n")
            kept = str(self.folder / name)
        for entity in loaded.entities:
            entity.source_path = kept
        return loaded.entities

    def load(self) -> LoadResult:
        """Every registration, latest first per file; problems are load errors, never exceptions."""
        if self.shared is not None:
            return self._load_shared(self.shared)
        result = LoadResult()
        for file, location in self._entries().items():
            path = self.folder / file
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                result.errors.append(LoadError(path=str(path), reason=f"registered catalog file unreadable: {exc}"))
                continue
            result.extend(entities_from_text(text, str(path), location=location))
        return result

    def _load_shared(self, shared: SharedFiles) -> LoadResult:
        result = LoadResult()
        for name, stored in shared.read_all().items():
            path = f"{shared.where}/{name}"
            try:
                entry = json.loads(stored)
                text, location = str(entry["yaml"]), str(entry["location"])
            except (ValueError, KeyError, TypeError) as exc:
                result.errors.append(LoadError(path=path, reason=f"registration unreadable: {exc}"))
                continue
            result.extend(entities_from_text(text, path, location=location))
        return result

    def _entries(self) -> dict[str, str]:
        """file name → location; a file registered again keeps its latest location."""
        entries: dict[str, str] = {}
        try:
            lines = self.index.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return entries
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
                entries[str(entry["file"])] = str(entry["location"])
            except (ValueError, KeyError, TypeError):
                # e.g. a line torn by a crash: that registration is lost, the others still load
                log.warning("%s line %d: not a registration, skipped: %.80s", self.index, number, line)
        return entries


def overlay(base: list[Entity], added: list[Entity]) -> list[Entity]:
    """``base`` with ``added`` on top: an added entity replaces the one with the same key."""
    keys = {e.key for e in added}
    return [*(e for e in base if e.key not in keys), *added]


def _safe(part: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "_", part.lower())
