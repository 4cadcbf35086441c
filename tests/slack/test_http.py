"""End to end over HTTP: a running uvicorn server with the FastAPI route, signed requests from a client."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from langchain_core.messages import AIMessage

from agent.runtime import Runtime
from agent.service import AgentService
from connectors.slack.http import mount_slack
from contract.settings import Settings
from tests.support.slack import event_body, make_service, mention, signed_headers


class Server:
    """uvicorn in a thread on a free loopback port."""

    def __init__(self, app: FastAPI):
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def served(tmp_path, slack_api):
    service = make_service(
        tmp_path, slack_api, [AIMessage(content="served over HTTP"), AIMessage(content="a second answer")]
    )
    app = FastAPI()
    mount_slack(app, service)
    with Server(app) as url:
        yield url, service


async def post(url: str, body: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{url}/slack/events", content=body, headers=headers)


async def test_event_over_http_is_acknowledged_and_answered(served, slack_api):
    url, _service = served
    event = mention("who owns widget-api?")
    body = event_body(event)
    started = time.monotonic()
    response = await post(url, body, signed_headers(body))
    acked = time.monotonic() - started
    assert response.status_code == 200 and acked < 3.0
    final = await slack_api.wait_for("chat.update", where=lambda p: "served over HTTP" in json.dumps(p))
    assert final
    assert slack_api.of("chat.postMessage")[0]["thread_ts"] == event["ts"]


async def test_http_rejects_forged_and_expired_requests(served, slack_api):
    url, _service = served
    body = event_body(mention("who owns widget-api?"))
    assert (await post(url, body, signed_headers(body, secret="wrong-secret"))).status_code == 401
    assert (await post(url, body, signed_headers(body, timestamp=int(time.time()) - 600))).status_code == 401
    await asyncio.sleep(0.3)
    assert slack_api.of("chat.postMessage") == []


async def test_http_url_verification_and_retries(served, slack_api):
    url, _service = served
    challenge = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    response = await post(url, challenge, signed_headers(challenge))
    assert response.status_code == 200 and "c-123" in response.text
    body = event_body(mention("who owns widget-api?"), event_id="Ev0HTTPRETRY")
    first, retried = await asyncio.gather(
        post(url, body, signed_headers(body)), post(url, body, signed_headers(body, retry=1))
    )
    assert first.status_code == retried.status_code == 200
    await slack_api.wait_for("chat.update", where=lambda p: "served over HTTP" in json.dumps(p))
    await asyncio.sleep(0.5)
    assert len(slack_api.of("chat.postMessage")) == 1


def test_mount_refuses_without_a_signing_secret(tmp_path):
    service = AgentService(Runtime(Settings(data_dir=tmp_path, slack_bot_token="xoxb-1"), builtin_families=False))
    with pytest.raises(ValueError, match="SIGNING_SECRET"):
        mount_slack(FastAPI(), service)


async def test_the_web_app_mounts_slack_when_configured(tmp_path, slack_api):
    """`portal-agent serve` builds the web app with `create_app`; Slack events arrive through it."""
    web = pytest.importorskip("connectors.web.app", reason="the web connector is not part of this build")
    service = make_service(tmp_path, slack_api, [AIMessage(content="through the web app")])
    app = web.create_app(service)
    server = Server(app)
    server.server.config.lifespan = "on"
    with server as url:
        event = mention("who owns widget-api?")
        body = event_body(event)
        assert (await post(url, body, signed_headers(body))).status_code == 200
        assert (await post(url, body, signed_headers(body, secret="forged"))).status_code == 401
        await slack_api.wait_for("chat.update", where=lambda p: "through the web app" in json.dumps(p))
        assert len(slack_api.of("chat.postMessage")) == 1
