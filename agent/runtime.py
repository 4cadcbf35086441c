"""The runtime: settings plus the sources and tools built from them, shared by every turn.

Heavy adapters (Chroma, the Kubernetes client, DuckDB, the embedding model) are created lazily
the first time a tool needs them, so that a catalog question from the CLI starts fast.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from agent.redact import install_log_redaction
from agent.storage.database import is_postgres
from contract.private_files import private_data_dir
from contract.settings import Settings
from contract.shared_files import CATALOG_REGISTRATIONS

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.planner.router import Router
    from contract.catalog import Catalog
    from contract.intents import Intent
    from contract.shared_files import SharedFiles
    from contract.tooling import PortalTool

T = TypeVar("T")

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
SHARED_CHECK_SECONDS = 5.0  # how stale another replica's registration may be here


class Runtime:
    def __init__(self, settings: Settings, *, extra_families: list[Any] | None = None, builtin_families: bool = True):
        install_log_redaction()  # every process that runs the agent builds a runtime first
        self.settings = settings
        self._extra_families = list(extra_families or [])
        self._builtin_families = builtin_families
        self._services: dict[str, Any] = {}
        self._lock = threading.RLock()
        if settings.uses_demo:  # the demo organisation's stand-ins become the families' provided sources
            from demo.wiring import wire

            wire(self)

    # --- storage -------------------------------------------------------------------------------
    @cached_property
    def data_dir(self) -> Path:
        """The data directory, private to this user (conversations, approvals and the audit log)."""
        return private_data_dir(Path(self.settings.data_dir).expanduser())

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

    def shared_files(self, namespace: str) -> SharedFiles | None:
        """Files the replicas share, in PostgreSQL; None without one (the data directory serves)."""
        from agent.storage.database import database, is_postgres
        from agent.storage.shared_files import DatabaseFiles

        if not is_postgres(self.settings.database_url):
            return None
        return self.service(f"shared_files:{namespace}", lambda: DatabaseFiles(database(self), namespace))

    @property
    def catalog(self) -> Catalog:
        """The catalog, loaded on first use; with replicas sharing PostgreSQL, loaded again when
        another replica changed the shared files it reads (a registered entity), checked at most
        every ``SHARED_CHECK_SECONDS``."""
        from tools.registry import load_catalog

        loaded = self.__dict__.get("_catalog")
        if loaded is None or self._shared_changed():
            version = self._shared_version()
            loaded = self.__dict__["_catalog"] = load_catalog(self, self.all_families)
            self._catalog_version = version
        return loaded

    @catalog.setter
    def catalog(self, value: Catalog) -> None:
        """A family replacing the catalog it rebuilt (the scaffolder's ``catalog:register``)."""
        self.__dict__["_catalog"] = value
        self._catalog_version = self._shared_version()

    def _shared_version(self) -> str:
        files = self.shared_files(CATALOG_REGISTRATIONS)
        self._shared_checked = time.monotonic()
        return files.version() if files is not None else ""

    def _shared_changed(self) -> bool:
        if not is_postgres(self.settings.database_url):
            return False
        if time.monotonic() - getattr(self, "_shared_checked", 0.0) < SHARED_CHECK_SECONDS:
            return False
        try:
            return self._shared_version() != getattr(self, "_catalog_version", "")
        except Exception:  # the database is away: keep answering from the catalog loaded
            log.warning("could not check the shared catalog registrations", exc_info=True)
            return False

    def chat_model(self) -> BaseChatModel:
        """The configured chat model, created once (the scaffolder drafts templates with it)."""
        from agent.model import create_model

        return self.service("agent.chat-model", lambda: create_model(self))

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

        return Router(self.intents, self, dormant=self.dormant_intents)

    @cached_property
    def intents(self) -> list[Intent]:
        available = set(self.tools)
        out: list[Intent] = []
        for family in self.families:
            for intent in family.intents(self):
                if all(name in available for name in intent.requires):
                    out.append(intent)
        return out

    # --- which families have data --------------------------------------------------------------
    @cached_property
    def all_families(self) -> list[Any]:
        """Every family of this build and the extra ones, enabled or not."""
        from tools.registry import builtin_families

        builtin = builtin_families() if self._builtin_families else []
        return builtin + list(self._extra_families)

    @cached_property
    def dormant_intents(self) -> list[Intent]:
        """Intents of the families the configuration leaves off: never planned, only recognised, so
        that asking for them gets the family's line on how to configure it."""
        enabled = {family.name for family in self.families}
        return [intent for f in self.all_families if f.name not in enabled for intent in f.intents(self)]

    def family(self, name: str) -> Any | None:
        return next((f for f in self.all_families if f.name == name), None)

    def family_live(self, name: str) -> bool:
        """Whether a family has data to answer from: it is enabled and its ``live`` check passes.

        Not cached: a family can come alive while the process runs (the first generated template);
        the checks themselves are cheap, over configuration and already-loaded sources.
        """
        family = self.family(name)
        if family is None or family not in self.families:
            return False
        try:
            return family.live is None or bool(family.live(self))
        except Exception as exc:  # a source that cannot even be checked has nothing to answer from
            log.warning("cannot tell whether the %s family has data: %s: %s", name, type(exc).__name__, exc)
            return False

    def family_status(self) -> dict[str, dict[str, Any]]:
        """Per family, whether it is live and, when it is not, the setting that would make it so."""
        out: dict[str, dict[str, Any]] = {}
        for family in self.all_families:
            live = self.family_live(family.name)
            out[family.name] = {"live": live} | ({} if live else {"configure": family.unconfigured})
        return out

    # --- a serving process's background work -----------------------------------------------------
    def start_background_work(self) -> None:
        """Start what the enabled families do in the background while serving (docs indexing)."""
        for family in self.families:
            if family.start_background is None:
                continue
            try:
                family.start_background(self)
            except Exception:
                log.exception("the %s family could not start its background work", family.name)

    def readiness(self) -> dict[str, Any]:
        """What the enabled families report for a readiness probe (``docs_index``: building, fresh)."""
        out: dict[str, Any] = {}
        for family in self.families:
            if family.readiness is None:
                continue
            try:
                out |= family.readiness(self)
            except Exception:
                log.exception("could not read the %s family's readiness", family.name)
        return out
