"""Socket Mode: envelopes over a local WebSocket (URL from apps.connections.open), acked, answered once."""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import WSMsgType, web
from langchain_core.messages import AIMessage

from connectors.slack.socket import socket_mode_handler
from tests.support.slack import event_body, make_service, mention


async def serve_socket(link, slack_api) -> web.AppRunner:
    """A local WebSocket endpoint running ``link``, announced by the mock's apps.connections.open."""
    server = web.Application()
    server.router.add_get("/link", link)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    slack_api.socket_url = f"ws://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/link"
    return runner


async def hello_only_link(request) -> web.WebSocketResponse:
    """A Socket Mode link that says hello and then only listens: the app runs on its own."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"}}))
    async for _ in ws:
        pass
    return ws


async def test_socket_mode_envelopes_are_acknowledged_and_answered_once(tmp_path, slack_api):
    acks: list[dict] = []
    body = json.loads(event_body(mention("who owns widget-api?"), event_id="Ev0SOCKET"))

    async def link(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "local"},
                    "connection_info": {"app_id": "A0APP"},
                }
            )
        )
        for attempt, envelope in ((0, "env-1"), (1, "env-2")):  # the second is Slack redelivering the event
            await ws.send_str(
                json.dumps(
                    {
                        "envelope_id": envelope,
                        "type": "events_api",
                        "payload": body,
                        "accepts_response_payload": False,
                        "retry_attempt": attempt,
                        "retry_reason": "timeout" if attempt else "",
                    }
                )
            )
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                acks.append(json.loads(msg.data))
        return ws

    runner = await serve_socket(link, slack_api)

    service = make_service(tmp_path, slack_api, [AIMessage(content="over the socket"), AIMessage(content="again?!")])
    handler = socket_mode_handler(service)
    try:
        await handler.connect_async()
        await slack_api.wait_for("chat.update", where=lambda p: "over the socket" in json.dumps(p))
        for _ in range(100):
            if len(acks) >= 2:
                break
            await asyncio.sleep(0.05)
        assert {a["envelope_id"] for a in acks} == {"env-1", "env-2"}
        await asyncio.sleep(0.3)
        assert len(slack_api.of("chat.postMessage")) == 1
        assert slack_api.of("apps.connections.open")
    finally:
        await handler.close_async()
        await runner.cleanup()
        await service.aclose()


def test_cli_refuses_socket_mode_without_tokens(tmp_path):
    from typer.testing import CliRunner

    from portal_agent.cli import app

    env = {
        "PORTAL_AGENT_DATA_DIR": str(tmp_path),
        "PORTAL_AGENT_SLACK_BOT_TOKEN": "",
        "PORTAL_AGENT_SLACK_APP_TOKEN": "",
        "PORTAL_AGENT_CONFIG": str(tmp_path / "none.yaml"),
    }
    result = CliRunner().invoke(app, ["slack"], env=env)
    assert result.exit_code == 2
    assert "PORTAL_AGENT_SLACK_APP_TOKEN" in result.output


async def test_socket_mode_closes_requests_that_expired_while_it_was_down(make_app, slack_api, tmp_path):
    from connectors.slack import render
    from connectors.slack.socket import run_socket_mode
    from tests.support.agent import restart_then_answer
    from tests.support.mock_slack import blocks_text
    from tests.support.slack import ask_restart

    app, first = make_app(restart_then_answer(), approval_ttl_minutes=0)
    request, update, _event, _ = await ask_restart(app, slack_api)
    await first.aclose()

    runner = await serve_socket(hello_only_link, slack_api)

    service = make_service(tmp_path, slack_api, [AIMessage(content="closed by the sweep")], approval_ttl_minutes=0)
    running = asyncio.create_task(run_socket_mode(service))
    try:
        expired = await slack_api.wait_for(
            "chat.update", where=lambda p: p["ts"] == update["ts"] and "Expired" in blocks_text(p["blocks"])
        )
        assert expired and service.gate.store.status(request.id) == "refused"
        assert render.parse_thread_id(request.thread_id) is not None
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await runner.cleanup()


async def test_socket_mode_finishes_an_approved_change_a_killed_process_left_behind(tmp_path, slack_api):
    """Killed (SIGKILL) after recording the approval: at start-up it runs once and the thread is told."""
    from tests.support.agent import executions
    from tests.support.mock_slack import TEAM, blocks_text
    from tests.support.restart import crash, run_step, store
    from tests.support.slack import CHANNEL

    thread_id = f"slack:{TEAM}:{CHANNEL}:1700000000.000100"
    asked = await asyncio.to_thread(run_step, tmp_path, "ask", "restart widget-api", "wendy.owner", thread_id)
    request_id = asked["interrupt"]["request"]["id"]
    await asyncio.to_thread(crash, tmp_path, "approved", request_id)
    assert store(tmp_path).status(request_id) == "approved"

    runner = await serve_socket(hello_only_link, slack_api)
    service = make_service(tmp_path, slack_api, [AIMessage(content="restarted after the crash")])
    from connectors.slack.socket import run_socket_mode

    running = asyncio.create_task(run_socket_mode(service))
    try:
        told = await slack_api.wait_for(
            "chat.postMessage",
            where=lambda p: (
                p.get("thread_ts") == "1700000000.000100"
                and "restarted after the crash" in blocks_text(p.get("blocks") or [])
            ),
        )
        assert told[0]["channel"] == CHANNEL
        assert len(executions(service.runtime)) == 1 and service.gate.store.status(request_id) == "executed"
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await runner.cleanup()
