"""The runtime a tool family is handed: settings, shared services, the catalog and the chat model.

``agent.runtime.Runtime`` implements it; families see only this protocol, so they never import
the agent, and a test may hand a family any object with these members.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from contract.catalog import Catalog
    from contract.settings import Settings
    from contract.shared_files import SharedFiles
    from contract.tooling import PortalTool

T = TypeVar("T")


class FamilyRuntime(Protocol):
    settings: Settings

    @property
    def catalog(self) -> Catalog:
        """The catalog, from whichever family provides it (``ToolFamily.catalog``)."""
        ...

    @property
    def data_dir(self) -> Path:
        """The private data directory (conversations, indexes, the audit log)."""
        ...

    @property
    def demo_dir(self) -> Path:
        """The demo organisation's folder, for families whose demo settings point into it."""
        ...

    @property
    def tools(self) -> Mapping[str, PortalTool]:
        """Every tool of the enabled families, by name."""
        ...

    def service(self, key: str, factory: Callable[[], T]) -> T:
        """A lazily created, process-wide object (a client, an index) owned by a family."""
        ...

    def reset_service(self, key: str) -> None: ...

    def shared_files(self, namespace: str) -> SharedFiles | None:
        """Files every replica sees (PostgreSQL); None when state lives in this host's data directory."""
        ...

    def chat_model(self) -> BaseChatModel:
        """The configured chat model; raises ``contract.chat_model.ModelConfigError`` when unusable."""
        ...
