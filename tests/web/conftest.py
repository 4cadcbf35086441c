"""Fixtures for the web connector: an app over the test organisation, an ASGI client, a live server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from agent.service import AgentService
from connectors.web.app import create_app
from tests.support.web import TOKENS, LiveServer, make_web_runtime


@pytest.fixture
def make_app(tmp_path):
    services: list[AgentService] = []

    def build(**settings: Any):
        base = {"web_api_tokens": TOKENS}
        service = AgentService(make_web_runtime(tmp_path, **{**base, **settings}))
        services.append(service)
        return create_app(service)

    return build


@pytest.fixture
async def client(make_app) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


@pytest.fixture
def live_server(tmp_path):
    servers: list[LiveServer] = []

    def start(**settings: Any) -> LiveServer:
        base = {"web_api_tokens": TOKENS}
        service = AgentService(make_web_runtime(tmp_path, **{**base, **settings}))
        server = LiveServer(create_app(service)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def browser():
    """Debian's headless Chromium under Playwright (the browser tests skip without either)."""
    from tests.support.browser import launch

    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        instance = launch(p)
        yield instance
        instance.close()
