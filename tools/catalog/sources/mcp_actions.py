"""Catalog entities from a Backstage through its MCP actions (``plugins/mcp-actions-backend``).

A catalog source ``mcp:<server>`` names a server of ``PORTAL_AGENT_MCP_SERVERS`` (its URL ends in
``/api/mcp-actions/v1``; a static token authenticates). The catalog's ``query-catalog-entities``
action is paged by cursor (Backstage returns ``items``, ``totalItems`` and ``nextPageCursor``)
and every item becomes an entity exactly as the REST source builds them.
"""

from __future__ import annotations

import json
from typing import Any

from tools.catalog.loader import LoadError, LoadResult
from tools.catalog.sources.backstage_api import add_items

PREFIX = "mcp:"
QUERY_ACTION = "query-catalog-entities"
PAGE_SIZE = 500
MAX_PAGES = 1000


def is_mcp_source(source: str) -> bool:
    return source.startswith(PREFIX)


def fetch_entities(source: str, servers_setting: str | None) -> LoadResult:
    """All entities of the named server's catalog; a failure is one :class:`LoadError` naming it."""
    from tools.mcp.client import McpConnection, McpUnavailable
    from tools.mcp.servers import McpServersError, parse_servers

    name = source.removeprefix(PREFIX)
    result = LoadResult()
    try:
        spec = next((s for s in parse_servers(servers_setting) if s.name == name), None)
    except McpServersError as exc:
        return _failed(result, source, str(exc))
    if spec is None:
        return _failed(result, source, f"no MCP server named {name!r} in PORTAL_AGENT_MCP_SERVERS")
    connection = McpConnection(spec)
    try:
        tool = next((t.name for t in connection.list_tools() if t.name.split(".")[-1] == QUERY_ACTION), None)
        if tool is None:
            return _failed(result, source, f"the server offers no {QUERY_ACTION} action (is it Backstage's?)")
        arguments: dict[str, Any] = {"limit": PAGE_SIZE}
        for page in range(MAX_PAGES):
            payload = _payload(connection.call(tool, arguments))
            add_items(result, payload.get("items") or [], f"{source}#page{page + 1}")
            cursor = payload.get("nextPageCursor")
            if not cursor:
                return result
            arguments = {"cursor": cursor, "limit": PAGE_SIZE}
        return _failed(result, source, f"more than {MAX_PAGES} pages, stopping")
    except (McpUnavailable, ValueError) as exc:
        return _failed(result, source, str(exc))
    finally:
        connection.close()


def _payload(result: Any) -> dict[str, Any]:
    if result.isError:
        text = " ".join(getattr(b, "text", "") for b in result.content)
        raise ValueError(f"{QUERY_ACTION} failed: {text[:300]}")
    if isinstance(result.structuredContent, dict):
        return result.structuredContent
    text = "".join(getattr(b, "text", "") for b in result.content)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{QUERY_ACTION} did not answer JSON: {text[:120]!r}") from exc
    if not isinstance(payload, dict):
        raise ValueError(f"{QUERY_ACTION} answered {type(payload).__name__}, not an object")
    return payload


def _failed(result: LoadResult, source: str, reason: str) -> LoadResult:
    result.errors.append(LoadError(path=source, reason=reason))
    return result
