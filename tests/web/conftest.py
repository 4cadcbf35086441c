"""Fixtures for the web connector: an app over the test organisation, an ASGI client, SSE parsing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from agent.service import AgentService
from connectors.web.app import create_app
from tests.web.support import make_web_runtime

TOKENS = [
    "tok-wendy=user:default/wendy.owner",
    "tok-olga=user:default/olga.oncall",
    "tok-oscar=user:default/oscar.other",
    "tok-ada=user:default/ada.admin",
]


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer tok-{name}"}


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        events.append((event, json.loads("\n".join(data)) if data else None))
    return events


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


async def run(
    client: httpx.AsyncClient, thread_id: str, body: dict[str, Any], who: str | None = "wendy", **headers: str
) -> list[tuple[str, Any]]:
    hdrs = {**(auth(who) if who else {}), **headers}
    response = await client.post(
        f"/threads/{thread_id}/runs/stream", json={"assistant_id": "agent", **body}, headers=hdrs
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


async def refused(
    client: httpx.AsyncClient, thread_id: str, body: dict[str, Any], who: str | None = "wendy", **headers: str
) -> httpx.Response:
    """A run refused before it started: its real status code and a JSON ``detail``, never a stream."""
    hdrs = {**(auth(who) if who else {}), **headers}
    response = await client.post(
        f"/threads/{thread_id}/runs/stream", json={"assistant_id": "agent", **body}, headers=hdrs
    )
    assert response.status_code >= 400, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    assert "detail" in response.json()
    return response


def ask_body(text: str, modes: list[str] | str = "values") -> dict[str, Any]:
    return {"input": {"messages": [{"role": "user", "content": text}]}, "stream_mode": modes}


class LiveServer:
    """The app under uvicorn on a free loopback port, in a background thread of this process."""

    def __init__(self, app):
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", proxy_headers=False
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the web server did not become ready within 60 s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


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
