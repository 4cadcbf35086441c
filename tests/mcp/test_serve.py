"""portal-agent as an MCP server, judged by the official ``mcp`` client over HTTP and stdio.

Over HTTP, against ``/mcp`` of a live ``serve`` app on the web tests' organisation (team-widgets
owns widget-api, in production; wendy.owner and olga.oncall are its members, oscar.other is not).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import asynccontextmanager

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from agent.gate.policy import ApprovalDecision
from agent.service import AgentService
from connectors.web.app import create_app
from tests.support.agent import executions
from tests.support.paths import REPO
from tests.support.web import TOKENS, LiveServer, make_web_runtime


@pytest.fixture
def serve(tmp_path):
    started: list[LiveServer] = []

    def start(**settings) -> tuple[LiveServer, AgentService]:
        service = AgentService(make_web_runtime(tmp_path, web_api_tokens=TOKENS, **settings))
        server = LiveServer(create_app(service, background_indexing=False)).start()
        started.append(server)
        return server, service

    yield start
    for server in started:
        server.stop()


@asynccontextmanager
async def mcp_session(server: LiveServer, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{server.url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def body(result) -> dict:
    return json.loads(result.content[0].text)


async def test_read_tools_are_listed_with_annotations_and_mutating_ones_hidden(serve):
    server, _ = serve()
    async with mcp_session(server, "tok-wendy") as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert "restart_widget" not in tools and "approval_decide" not in tools
        docs = tools["widget_docs"]
        assert docs.annotations.readOnlyHint is True and docs.annotations.destructiveHint is False
        assert docs.inputSchema["properties"]["topic"]["description"] == "What to look up"
        result = await session.call_tool("widget_docs", {"topic": "deploy"})
        assert not result.isError and "widgetctl deploy" in result.content[0].text
        hidden = await session.call_tool("restart_widget", {"name": "widget-api"})
        assert hidden.isError and "no tool 'restart_widget'" in hidden.content[0].text
        asked = body(await session.call_tool("ask_portal", {"question": "how do I deploy widgets?"}))
        assert "widgetctl deploy" in asked["answer"] and asked["conversation"].startswith("mcp-")


async def test_bad_and_missing_tokens_are_refused(serve):
    server, _ = serve()
    for headers, status in (({"Authorization": "Bearer nope"}, 401), ({}, 401)):
        response = httpx.post(
            f"{server.url}/mcp",
            headers={**headers, "Accept": "application/json, text/event-stream", "Content-Type": "application/json"},
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        )
        assert response.status_code == status and response.headers["www-authenticate"].startswith("Bearer")
    with pytest.raises(BaseException) as refused:  # the official client gives up on a 401
        async with mcp_session(server, "nope") as session:
            await session.list_tools()
    assert "401" in repr(refused.value) or "401" in str(getattr(refused.value, "exceptions", ""))


async def test_a_mutating_call_is_an_approval_request_decided_elsewhere(serve):
    server, service = serve(mcp_mutating_tools=True)
    async with mcp_session(server, "tok-wendy") as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        restart = tools["restart_widget"]
        assert restart.annotations.readOnlyHint is False and restart.annotations.destructiveHint is True
        request = body(await session.call_tool("restart_widget", {"name": "widget-api", "replicas": 2}))
        assert request["status"] == "pending_approval" and request["four_eyes"] is True
        assert request["requested_by"] == "user:default/wendy.owner"
        assert executions(service.runtime) == []  # nothing ran
        own = await session.call_tool("approval_decide", {"request_id": request["request_id"], "decision": "approve"})
        assert own.isError and "may not approve their own" in own.content[0].text
    async with mcp_session(server, "tok-oscar") as session:  # neither owner nor admin
        stranger = await session.call_tool("approval_status", {"request_id": request["request_id"]})
        assert stranger.isError
    assert executions(service.runtime) == []
    # decided elsewhere, by an allowed approver, as the CLI and Slack do it
    stored = service.approval(request["request_id"]).request
    approver = service.principal("user:default/olga.oncall")
    decision = ApprovalDecision(
        request_id=stored.id, decision="approve", approver=approver.ref, args_hash=stored.args_hash
    )
    await service.adecide(decision, approver)
    assert executions(service.runtime) == [{"name": "widget-api", "replicas": 2, "by": "user:default/wendy.owner"}]
    async with mcp_session(server, "tok-wendy") as session:
        status = body(await session.call_tool("approval_status", {"request_id": request["request_id"]}))
    assert status["status"] == "executed" and status["decision"]["by"] == "user:default/olga.oncall"


async def test_conversations_are_bound_to_their_caller(serve):
    server, _ = serve()
    async with mcp_session(server, "tok-wendy") as session:
        first = body(await session.call_tool("ask_portal", {"question": "how do I deploy widgets?"}))
    async with mcp_session(server, "tok-oscar") as session:
        taken = await session.call_tool("ask_portal", {"question": "and then?", "conversation": first["conversation"]})
    assert taken.isError and "not yours" in taken.content[0].text


async def test_catalog_entities_are_resources(serve):
    server, _ = serve()
    async with mcp_session(server, "tok-wendy") as session:
        resources = {str(r.uri): r for r in (await session.list_resources()).resources}
        assert "catalog://component/default/widget-api" in resources
        read = await session.read_resource("catalog://component/default/widget-api")
        assert "team-widgets" in read.contents[0].text
        templates = [t.uriTemplate for t in (await session.list_resource_templates()).resourceTemplates]
        assert "docs://page/{page}" in templates


async def test_stdio_serves_the_configured_user(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_AGENT_")},
        "PORTAL_AGENT_CATALOG": str(REPO / "tests" / "agent" / "data" / "catalog.yaml"),
        "PORTAL_AGENT_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_AGENT_MCP_USER": "user:default/wendy.owner",
        "HF_HUB_OFFLINE": "1",
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "portal_agent.cli", "mcp"], env=env, cwd=REPO)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        names = {t.name for t in (await session.list_tools()).tools}
        assert {"ask_portal", "catalog_owner", "approval_status"} <= names
        assert not any(n.startswith("k8s_") and n != "k8s_workloads" for n in names if "restart" in n)
        owner = await session.call_tool("catalog_owner", {"ref": "widget-api"})
        assert not owner.isError and "team-widgets" in owner.content[0].text
        asked = json.loads((await session.call_tool("ask_portal", {"question": "what do I own?"})).content[0].text)
        assert "widget-api" in asked["answer"]  # "I" is the configured user, wendy.owner
