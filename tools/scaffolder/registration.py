"""catalog:register's effect: the new entities join the running catalog.

The catalog store is rebuilt with the new entities (relations and indexes recomputed) and
replaces the runtime's cached one; the registration itself is kept by the catalog
(:mod:`tools.catalog.sources.registered`), so the entities are loaded again after a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.scaffolder.actions.base import ActionError


def register(runtime: Any, path: Path, location: str) -> list[str]:
    """Add the entities of ``path`` to ``runtime``'s catalog, for good; returns their refs."""
    from tools.catalog.sources.registered import overlay, registrations
    from tools.catalog.store import CatalogStore

    try:
        entities = registrations(runtime).add(path, location)
    except ValueError as exc:
        raise ActionError(str(exc)) from exc
    store = runtime.catalog
    runtime.catalog = CatalogStore(  # the runtime's catalog, replaced
        overlay(store.all(), entities), errors=list(store.errors), skipped=store.skipped, sources=list(store.sources)
    )
    return [e.ref for e in entities]


def primary_ref(refs: list[str]) -> str | None:
    """The entity a registration is about: the first that is not a Location."""
    return next((r for r in refs if not r.lower().startswith("location:")), refs[0] if refs else None)
