"""catalog:register's effect: the new entities join the running catalog.

The catalog store is rebuilt with the new entities (relations and indexes recomputed) and
replaces the runtime's cached one; a copy of the registered file is kept under
``<data dir>/scaffolder/registered/`` so the registration can be replayed or audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.scaffolder.actions.base import ActionError


def entities_in(path: Path, location: str) -> list[Any]:
    from tools.catalog.loader import entities_from_text

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ActionError(f"cannot read catalog file {path}: {exc}") from exc
    loaded = entities_from_text(text, str(path), location=location, base_dir=path.parent)
    if loaded.errors:
        raise ActionError("; ".join(str(e) for e in loaded.errors))
    if not loaded.entities:
        raise ActionError(f"{path} holds no catalog entity")
    return loaded.entities


def register(runtime: Any, path: Path, location: str) -> list[str]:
    """Add the entities of ``path`` to ``runtime``'s catalog; returns their refs."""
    from tools.catalog.store import CatalogStore

    entities = entities_in(path, location)
    keep = runtime.data_dir / "scaffolder" / "registered"
    keep.mkdir(parents=True, exist_ok=True)
    kept = keep / f"{entities[0].name}.yaml"
    kept.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    for entity in entities:  # the workspace the file came from is temporary
        entity.source_path = str(kept)
    store = runtime.catalog
    adder = getattr(store, "add", None)
    if callable(adder):
        for entity in entities:
            adder(entity)
    else:
        new_keys = {e.key for e in entities}
        kept = [e for e in store.all() if e.key not in new_keys]
        fresh = CatalogStore(
            [*kept, *entities], errors=list(store.errors), skipped=store.skipped, sources=[*store.sources, location]
        )
        runtime.__dict__["catalog"] = fresh  # replaces the cached_property's value
    return [e.ref for e in entities]


def primary_ref(refs: list[str]) -> str | None:
    """The entity a registration is about: the first that is not a Location."""
    return next((r for r in refs if not r.lower().startswith("location:")), refs[0] if refs else None)
