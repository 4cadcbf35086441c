"""One MCP server reached from synchronous tool code: a session held open on its own event loop.

Tools run in worker threads; the MCP client is asyncio. Each :class:`McpConnection` runs a daemon
thread with an event loop and one long-lived task that owns the transport and the session (anyio
requires entering and leaving them in the same task) and serves calls from a queue. A dead
session is reopened on the next call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, Tool

from tools.mcp.servers import McpServerSpec

log = logging.getLogger(__name__)
CALL_TIMEOUT = 120.0


class McpUnavailable(RuntimeError):
    """The server could not be reached or answered with an error; the message says which and why."""


class McpConnection:
    def __init__(self, spec: McpServerSpec):
        self.spec = spec
        self._loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"mcp-{spec.name}", daemon=True)
        self._thread.start()
        self._tools: list[Tool] | None = None
        self._lock = threading.Lock()

    # --- the public, synchronous side ------------------------------------------------------------
    def list_tools(self) -> list[Tool]:
        with self._lock:
            if self._tools is None:
                self._tools = self._run(lambda s: _all_tools(s))
            return self._tools

    def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        return self._run(lambda s: s.call_tool(name, arguments))

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _run(self, work: Callable[[ClientSession], Awaitable[Any]]) -> Any:
        future = asyncio.run_coroutine_threadsafe(self._submit(work), self._loop)
        try:
            return future.result(timeout=CALL_TIMEOUT)
        except McpUnavailable:
            raise
        except Exception as exc:
            raise McpUnavailable(f"MCP server {self.spec.name!r}: {type(exc).__name__}: {exc}") from exc

    # --- the event loop's side -------------------------------------------------------------------
    async def _submit(self, work: Callable[[ClientSession], Awaitable[Any]]) -> Any:
        if self._queue is None:
            self._queue = asyncio.Queue()
            ready: asyncio.Future = self._loop.create_future()
            self._loop.create_task(self._hold_session(ready))
            await ready
        done: asyncio.Future = self._loop.create_future()
        await self._queue.put((work, done))
        return await done

    async def _hold_session(self, ready: asyncio.Future) -> None:
        queue = self._queue
        try:
            async with AsyncExitStack() as stack:
                session = await self._open(stack)
                ready.set_result(None)
                while True:
                    work, done = await queue.get()
                    try:
                        done.set_result(await work(session))
                    except Exception as exc:  # one failed call leaves the session usable
                        done.set_exception(exc)
        except Exception as exc:
            log.warning("MCP server %s: session closed: %s", self.spec.name, exc)
            error = McpUnavailable(f"MCP server {self.spec.name!r} is unreachable: {type(exc).__name__}: {exc}")
            if not ready.done():
                ready.set_exception(error)
            while not queue.empty():
                _, done = queue.get_nowait()
                done.set_exception(error)
        finally:
            self._queue = None  # the next call opens a new session

    async def _open(self, stack: AsyncExitStack) -> ClientSession:
        spec = self.spec
        if spec.command:
            params = StdioServerParameters(command=spec.command, args=spec.args, env=spec.env or None)
            read, write = await stack.enter_async_context(stdio_client(params))
        else:
            headers = {"Authorization": f"Bearer {spec.token.get_secret_value()}"} if spec.token else {}
            http = await stack.enter_async_context(httpx.AsyncClient(headers=headers, timeout=CALL_TIMEOUT))
            read, write, _ = await stack.enter_async_context(streamable_http_client(spec.url, http_client=http))
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        return session


async def _all_tools(session: ClientSession) -> list[Tool]:
    tools, cursor = [], None
    while True:
        page = await session.list_tools(cursor=cursor) if cursor else await session.list_tools()
        tools.extend(page.tools)
        cursor = page.nextCursor
        if not cursor:
            return tools
