"""Docs: TechDocs and Markdown sites in a Chroma index, searched hybrid (vectors + BM25), cited answers.

Nothing heavy is imported here: Chroma, the embedding model and markdown-it are imported inside
the functions that index or search, and the index is created lazily through ``runtime.service``.
Registering this family therefore costs only the import of this small module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily, guidance_of, lazy

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime


def _enabled(runtime: FamilyRuntime) -> bool:
    """Docs are on for the demo, for configured doc folders, and for catalogs (TechDocs annotations)."""
    settings = runtime.settings
    return bool(settings.uses_demo or settings.docs or settings.catalog or settings.github_discovery)


family = ToolFamily(
    name="docs",
    guidance=guidance_of(__name__),
    tools=lazy("tools.docs.tools:build_tools"),
    intents=lazy("tools.docs.intents:build_intents"),
    enabled=_enabled,
    live=lazy("tools.docs.indexer:docs_live"),
    start_background=lazy("tools.docs.indexer:ensure_index_in_background"),
    readiness=lazy("tools.docs.indexer:readiness"),
    answers_compound_whole=True,
    unconfigured="no docs are configured — set PORTAL_AGENT_DOCS to Markdown folders or mkdocs sites, "
    "or add backstage.io/techdocs-ref annotations to catalog entities",
)
