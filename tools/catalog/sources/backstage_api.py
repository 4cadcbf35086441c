"""Catalog entities from a running Backstage, through its REST API.

Uses ``GET /api/catalog/entities/by-query`` with cursor paging: the first request carries
``limit`` (and optional filters), each following one only ``cursor`` taken from
``pageInfo.nextCursor``, until no cursor is returned. The token (``backstage_token``) is sent as a
bearer token and never appears in errors.
"""

from __future__ import annotations

from typing import Any

import httpx

from tools.catalog.loader import LoadError, LoadResult, build_entity

PAGE_SIZE = 500
MAX_PAGES = 1000


class BackstageError(RuntimeError):
    """The Backstage API could not be read; the message says which URL and why."""


def entities_endpoint(base_url: str) -> str:
    base = base_url.rstrip("/")
    for suffix in ("/api/catalog/entities/by-query", "/api/catalog/entities", "/api/catalog"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{base}/api/catalog/entities/by-query"


def fetch_entities(
    base_url: str,
    token: str | None = None,
    *,
    client: httpx.Client | None = None,
    page_size: int = PAGE_SIZE,
    filters: list[str] | None = None,
    timeout: float = 30.0,
) -> LoadResult:
    """All entities of a Backstage catalog; raises :class:`BackstageError` on HTTP/transport errors."""
    url = entities_endpoint(base_url)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    own_client = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=True)
    result = LoadResult()
    try:
        params: dict[str, Any] = {"limit": page_size}
        if filters:
            params["filter"] = filters
        for page in range(MAX_PAGES):
            payload = _get(http, url, params, headers)
            items = payload.get("items")
            if not isinstance(items, list):
                raise BackstageError(f"{url}: unexpected response (no 'items' list)")
            for entity in add_items(result, items, f"{url}#page{page + 1}"):
                entity.source_path = (
                    f"{base_url.rstrip('/')}/catalog/{entity.namespace}/{entity.kind_lower}/{entity.name}"
                )
            cursor = (payload.get("pageInfo") or {}).get("nextCursor")
            if not cursor:
                break
            params = {"cursor": cursor}
        else:
            raise BackstageError(f"{url}: more than {MAX_PAGES} pages, stopping")
    finally:
        if own_client:
            http.close()
    result.files = 1
    return result


def add_items(result: LoadResult, items: list[Any], where: str) -> list[Any]:
    """A page of entities as Backstage serves them (REST or MCP actions) into ``result``; an item
    that is not a valid entity becomes a LoadError naming its page and position. Returns the new ones."""
    added = []
    for position, item in enumerate(items):
        at = f"{where}.item{position}"
        if not isinstance(item, dict):
            result.errors.append(LoadError(path=at, reason="item is not an entity object"))
            continue
        entity, problems = build_entity(item, at, None)
        if entity is None:
            result.errors.extend(LoadError(path=at, reason=problem) for problem in problems)
            continue
        result.entities.append(entity)
        added.append(entity)
    return added


def _get(http: httpx.Client, url: str, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    try:
        response = http.get(url, params=params, headers=headers)
    except httpx.HTTPError as exc:
        raise BackstageError(f"cannot reach Backstage at {url}: {type(exc).__name__}: {exc}") from None
    if response.status_code in (401, 403):
        hint = (
            "no token is configured (set PORTAL_AGENT_BACKSTAGE_TOKEN)"
            if "Authorization" not in headers
            else "the configured token was rejected"
        )
        raise BackstageError(f"Backstage at {url} answered {response.status_code}: {hint}")
    if response.status_code >= 400:
        raise BackstageError(f"Backstage at {url} answered {response.status_code}: {response.text[:300].strip()}")
    try:
        data = response.json()
    except ValueError:
        raise BackstageError(f"Backstage at {url} did not return JSON") from None
    if not isinstance(data, dict):
        raise BackstageError(f"Backstage at {url}: unexpected response (not an object)")
    return data
