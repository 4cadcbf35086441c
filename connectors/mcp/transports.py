"""The two ways to reach :class:`PortalMcp`: stdio for a local editor, streamable HTTP at ``/mcp``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request

from agent.service import AgentService
from connectors.mcp.server import McpRefused, PortalMcp
from contract.principal import Principal

log = logging.getLogger(__name__)


# --- stdio ---------------------------------------------------------------------------------------
def stdio_principal(service: AgentService) -> Principal:
    """The configured MCP user (else the CLI's default user), resolved in the catalog."""
    settings = service.runtime.settings
    return service.principal(settings.mcp_user or settings.default_user, via="mcp")


async def serve_stdio(service: AgentService) -> None:
    """Serve one MCP client on stdin/stdout until it disconnects (stdout carries only protocol)."""
    from mcp.server.stdio import stdio_server

    principal = stdio_principal(service)
    portal = PortalMcp(service, lambda request: principal)
    async with stdio_server() as (read, write):
        await portal.server.run(read, write, portal.server.create_initialization_options())


# --- streamable HTTP -----------------------------------------------------------------------------
class McpHttp:
    """An ASGI app for ``/mcp``: each request identified like the web API's (token or proxy header),
    strangers and anonymous callers refused before the MCP session sees anything."""

    def __init__(self, service: AgentService, authenticate: Any):
        self.authenticate = authenticate  # Request -> Principal, raising HTTPException(401/403)
        self.portal = PortalMcp(service, self._principal)
        # Stateless: any replica can answer any request, and no session outlives its request.
        self.sessions = StreamableHTTPSessionManager(app=self.portal.server, stateless=True, json_response=True)

    def _principal(self, request: Request | None) -> Principal:
        if request is None:
            raise McpRefused("no HTTP request to identify the caller by")
        try:
            principal = self.authenticate(request)
        except HTTPException as exc:
            raise McpRefused(str(exc.detail)) from exc
        if principal.is_anonymous:
            raise McpRefused("MCP needs an API token (Authorization: Bearer …)")
        return principal.model_copy(update={"via": "mcp"})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The session manager's task group, held by a task of its own: anyio wants it left in the
        task that entered it, and an app's lifespan may end in another task than it began."""
        stop, ready = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with self.sessions.run():
                ready.set()
                await stop.wait()

        task = asyncio.create_task(hold())
        await asyncio.wait([task, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # it failed to start: raise why
        try:
            yield
        finally:
            stop.set()
            await task

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        try:
            self._principal(Request(scope))
        except McpRefused as exc:
            status = 401 if "token" in str(exc).lower() else 403
            await _refuse(send, status, str(exc))
            return
        await self.sessions.handle_request(scope, receive, send)


async def _refuse(send: Any, status: int, message: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="portal-agent"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
