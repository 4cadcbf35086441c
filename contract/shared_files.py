"""Small files every replica sees: what a family writes at run time and must not keep per host.

A template generated from a description and an entity registered by the scaffolder are written
on one replica and asked about on any other. With PostgreSQL (``PORTAL_AGENT_DATABASE_URL``) the
runtime hands a family a :class:`SharedFiles` per namespace; with one host's data directory it
hands ``None`` and the family keeps its files there, as before.
"""

from __future__ import annotations

from typing import Protocol

# The namespace of entities registered at run time: the catalog family writes it, and the runtime
# reloads its catalog when another replica did.
CATALOG_REGISTRATIONS = "catalog-registered"


class SharedFiles(Protocol):
    """Text files by name (``/``-separated) in one namespace of the shared database."""

    where: str  # for messages and load errors: "postgresql:<namespace>"

    def put(self, name: str, text: str) -> None:
        """Create or replace one file."""
        ...

    def remove(self, prefix: str) -> None:
        """Delete every file whose name starts with ``prefix``."""
        ...

    def read(self, name: str) -> str | None:
        """One file's text, or None when there is none."""
        ...

    def read_all(self, prefix: str = "") -> dict[str, str]:
        """Every file whose name starts with ``prefix``, in the order they were first written."""
        ...

    def version(self) -> str:
        """Changes whenever a file of the namespace is written or removed (one cheap query)."""
        ...
