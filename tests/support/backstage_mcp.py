"""A local stand-in of Backstage's MCP actions (``plugins/mcp-actions-backend``) for the tests.

Streamable HTTP at ``/api/mcp-actions/v1``, a static bearer token, and the catalog's actions with
their Backstage names and attributes: ``catalog.get-catalog-entity`` and
``catalog.query-catalog-entities`` (read-only; paged with ``limit`` and a cursor; output
``{items, totalItems, hasMoreEntities, nextPageCursor}`` as JSON text), plus a mutating
``scaffolder.execute-template``. It serves the entities of a catalog folder as Backstage would
after processing it: every entity, with its relations as ``{type, targetRef}``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import mcp.types as types
import uvicorn
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount

PATH = "/api/mcp-actions/v1"
READ = types.ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True)


def documents(folder: Path) -> list[dict[str, Any]]:
    from tools.catalog.sources.files import load_files

    loaded = load_files([folder])
    return [e.model_dump(mode="json", by_alias=True, exclude={"source_path", "source_line"}) for e in loaded.entities]


class BackstageMcp:
    def __init__(self, catalog: Path, token: str = "static-backstage-token"):
        self.entities = documents(catalog)
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self.server = Server("backstage-mcp-actions")
        self._register()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}{PATH}"
        sessions = StreamableHTTPSessionManager(app=self.server, stateless=True, json_response=True)

        async def endpoint(scope, receive, send):
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization", b"").decode() != f"Bearer {self.token}":
                await JSONResponse({"error": {"name": "AuthenticationError"}}, status_code=401)(scope, receive, send)
                return
            await sessions.handle_request(scope, receive, send)

        @contextlib.asynccontextmanager
        async def lifespan(app):
            async with sessions.run():
                yield

        app = Starlette(routes=[Mount(PATH, app=endpoint)], lifespan=lifespan)
        self._uvicorn = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._uvicorn.run, daemon=True)

    def _register(self) -> None:
        @self.server.list_tools()
        async def list_tools() -> list[types.Tool]:
            return [
                types.Tool(
                    name="catalog.get-catalog-entity",
                    description="This allows you to get a single entity from the software catalog.",
                    inputSchema={
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string"},
                            "namespace": {"type": "string"},
                            "name": {"type": "string"},
                        },
                        "required": ["name"],
                    },
                    annotations=READ,
                ),
                types.Tool(
                    name="catalog.query-catalog-entities",
                    description="This allows you to query multiple entities from the software catalog using filters.",
                    inputSchema={
                        "type": "object",
                        "properties": {
                            "filter": {"type": "object"},
                            "limit": {"type": "integer"},
                            "offset": {"type": "integer"},
                            "cursor": {"type": "string"},
                        },
                    },
                    annotations=READ,
                ),
                types.Tool(
                    name="scaffolder.execute-template",
                    description="Execute a scaffolder template.",
                    inputSchema={"type": "object", "properties": {"templateRef": {"type": "string"}}},
                    annotations=types.ToolAnnotations(readOnlyHint=False, destructiveHint=False),
                ),
            ]

        @self.server.call_tool()
        async def call_tool(name: str, arguments: dict[str, Any]) -> list[types.TextContent]:
            self.calls.append((name, arguments))
            if name == "catalog.query-catalog-entities":
                start = int(arguments.get("cursor") or arguments.get("offset") or 0)
                limit = int(arguments.get("limit") or 20)
                items = [e for e in self.entities if _matches(e, arguments.get("filter") or {})]
                page = items[start : start + limit]
                output = {"items": page, "totalItems": len(items), "hasMoreEntities": start + limit < len(items)}
                if start + limit < len(items):
                    output["nextPageCursor"] = str(start + limit)
                return [types.TextContent(type="text", text=json.dumps(output))]
            if name == "catalog.get-catalog-entity":
                found = [e for e in self.entities if e["metadata"]["name"] == arguments.get("name")]
                if len(found) != 1:
                    raise ValueError(f'No entity found with name "{arguments.get("name")}"')
                return [types.TextContent(type="text", text=json.dumps(found[0]))]
            return [types.TextContent(type="text", text=json.dumps({"taskId": "task-1"}))]

    def start(self) -> BackstageMcp:
        self._thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return self
            time.sleep(0.05)
        raise RuntimeError("the Backstage MCP stand-in did not start")

    def stop(self) -> None:
        self._uvicorn.should_exit = True
        self._thread.join(timeout=10)


def _matches(entity: dict[str, Any], filters: dict[str, str]) -> bool:
    for path, wanted in filters.items():
        value: Any = entity
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if str(value).lower() != str(wanted).lower():
            return False
    return True
