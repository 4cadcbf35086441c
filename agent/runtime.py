"""The runtime: settings plus the sources and tools built from them, shared by every turn.

Heavy adapters (Chroma, the Kubernetes client, DuckDB, the embedding model) are created lazily
the first time a tool needs them, so that a catalog question from the CLI starts fast.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from agent.config import Settings

if TYPE_CHECKING:
    from agent.planner.intents import Intent
    from agent.planner.router import Router
    from agent.tooling import PortalTool
    from tools.catalog.store import CatalogStore

T = TypeVar("T")

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


class Runtime:
    def __init__(self, settings: Settings, *, extra_families: list[Any] | None = None, builtin_families: bool = True):
        self.settings = settings
        self._extra_families = list(extra_families or [])
        self._builtin_families = builtin_families
        self._services: dict[str, Any] = {}
        self._lock = threading.RLock()

    # --- storage -------------------------------------------------------------------------------
    @cached_property
    def data_dir(self) -> Path:
        path = Path(self.settings.data_dir).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def demo_dir(self) -> Path:
        return DEMO_DIR

    # --- shared services -----------------------------------------------------------------------
    def service(self, key: str, factory: Callable[[], T]) -> T:
        """A lazily created, process-wide object (a client, an index) owned by a tool family."""
        with self._lock:
            if key not in self._services:
                self._services[key] = factory()
            return self._services[key]

    def reset_service(self, key: str) -> None:
        with self._lock:
            self._services.pop(key, None)

    @cached_property
    def catalog(self) -> CatalogStore:
        from tools.catalog.sources import load_catalog

        return load_catalog(self)

    # --- tools and intents ---------------------------------------------------------------------
    @cached_property
    def families(self) -> list[Any]:
        from tools.registry import enabled_families

        builtin = enabled_families(self) if self._builtin_families else []
        return builtin + [f for f in self._extra_families if f.enabled(self)]

    @cached_property
    def tools(self) -> dict[str, PortalTool]:
        out: dict[str, PortalTool] = {}
        for family in self.families:
            for tool in family.tools(self):
                if tool.mutating and self.settings.read_only:
                    continue
                if tool.name in out:
                    raise ValueError(f"two tools are named {tool.name!r}")
                out[tool.name] = tool
        return out

    @cached_property
    def router(self) -> Router:
        """Routes utterances to intents; the offline planner and LLM tool selection share it."""
        from agent.planner.router import Router

        return Router(self.intents, self)

    @cached_property
    def intents(self) -> list[Intent]:
        available = set(self.tools)
        out: list[Intent] = []
        for family in self.families:
            for intent in family.intents(self):
                if all(name in available for name in intent.requires):
                    out.append(intent)
        return out
