"""Build the catalog from the configured sources: files, Backstage URLs, GitHub discovery, demo.

A source that fails (an unreachable Backstage, a missing folder) becomes a :class:`LoadError` in
``store.errors`` and a log warning; the other sources still load.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.catalog.loader import LoadError, LoadResult

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from contract.settings import Settings
    from tools.catalog.store import CatalogStore

log = logging.getLogger(__name__)


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    secret = getter() if getter else str(value)
    return secret or None


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def load_catalog_from(sources: list[str], settings: Settings | None = None, github: bool = False) -> CatalogStore:
    """A store from explicit sources (the CLI's ``--catalog``): dirs, YAML files, Backstage URLs."""
    return _store(load_sources(sources, settings, github), sources)


def load_sources(sources: list[str], settings: Settings | None = None, github: bool = False) -> LoadResult:
    from tools.catalog.sources.mcp_actions import is_mcp_source

    total = LoadResult()
    for source in (s for s in sources if is_mcp_source(s)):
        from tools.catalog.sources.mcp_actions import fetch_entities as fetch_over_mcp

        total.extend(fetch_over_mcp(source, _secret(getattr(settings, "mcp_servers", None))))
    sources = [s for s in sources if not is_mcp_source(s)]
    files = [s for s in sources if s and not _is_url(s)]
    if files:
        from tools.catalog.sources.files import load_files

        total.extend(load_files(files, _url_reader(settings)))
    for url in (s for s in sources if _is_url(s)):
        from tools.catalog.sources.backstage_api import BackstageError, fetch_entities

        try:
            total.extend(fetch_entities(url, _secret(getattr(settings, "backstage_token", None))))
        except BackstageError as exc:
            log.warning("catalog source failed: %s", exc)
            total.errors.append(LoadError(path=url, reason=str(exc)))
    if github and settings is not None and settings.github_discovery:
        from tools.catalog.sources.github import discover

        try:
            total.extend(
                discover(
                    settings.github_discovery,
                    settings.github_url,
                    _secret(settings.github_token),
                    catalog_path=settings.github_catalog_path,
                )
            )
        except Exception as exc:  # transport errors of PyGithub are not all GithubException
            log.warning("GitHub discovery failed: %s", type(exc).__name__)
            total.errors.append(
                LoadError(path="github", reason=f"GitHub discovery failed: {type(exc).__name__}: {exc}")
            )
    return total


def _url_reader(settings: Settings | None) -> Any:
    """GitHub URLs in catalog files (Location targets, placeholders) are read through the GitHub
    integration once it is configured (a token or an Enterprise URL); otherwise not fetched."""
    if settings is None or not (settings.github_token or settings.github_url):
        return None
    from tools.catalog.sources.github import reader_for

    return reader_for(settings.github_url, _secret(settings.github_token))


def _store(loaded: LoadResult, sources: list[str]) -> CatalogStore:
    from tools.catalog.store import CatalogStore

    for error in loaded.errors:
        if error.severity == "error":
            log.warning("catalog: %s", error)
    return CatalogStore(loaded.entities, loaded.errors, skipped=loaded.skipped, sources=list(sources))


def catalog_sources(runtime: FamilyRuntime) -> list[str]:
    settings = runtime.settings
    sources = list(settings.catalog)
    if settings.uses_demo:
        demo = Path(runtime.demo_dir) / "catalog"
        sources = [str(demo), *sources]
    return sources


def load_catalog(runtime: FamilyRuntime) -> CatalogStore:
    """The runtime's catalog: configured sources plus GitHub discovery, or the demo organisation,
    with the entities registered at run time on top."""
    from tools.catalog.sources.registered import overlay, registrations

    sources = catalog_sources(runtime)
    loaded = load_sources(sources, runtime.settings, github=True)
    registered = registrations(runtime).load()
    loaded.entities = overlay(loaded.entities, registered.entities)
    loaded.errors.extend(registered.errors)
    return _store(loaded, sources)
