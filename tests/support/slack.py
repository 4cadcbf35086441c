"""Test pieces for the Slack connector: signed payloads, Slack users, models and test-only tools."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from pydantic import BaseModel, Field
from slack_bolt.request.async_request import AsyncBoltRequest

from agent.runtime import Runtime
from agent.service import AgentService
from connectors.slack import render
from contract.settings import Settings
from contract.tooling import Attachment, Citation, PortalTool, ToolContext, ToolResult
from tests.support.agent import ScriptedModel, widget_family
from tests.support.mock_slack import TEAM, MockSlack
from tests.support.paths import TESTS
from tools.registry import ToolFamily

SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-0000000000-bot"
CATALOG = TESTS / "slack" / "data" / "catalog.yaml"
CHANNEL = "C0GENERAL"
TEAM_CHANNEL = "C0WIDGETS"


def _user(uid: str, name: str, email: str | None, **extra: Any) -> dict[str, Any]:
    profile = {"real_name": name, "display_name": name}
    if email:
        profile["email"] = email
    return {"id": uid, "name": name, "team_id": TEAM, "profile": profile, **extra}


USERS = {
    "U0WENDY": _user("U0WENDY", "wendy", "wendy.owner@example.test"),
    "U0OLGA": _user("U0OLGA", "olga", "Olga.Oncall@example.test"),
    "U0ADA": _user("U0ADA", "ada", "ada.admin@example.test"),
    "U0OSCAR": _user("U0OSCAR", "oscar", "oscar.other@example.test"),
    "U0STRANGER": _user("U0STRANGER", "stranger", "stranger@elsewhere.test"),
    "U0NOEMAIL": _user("U0NOEMAIL", "private", None),
}


# --- signatures --------------------------------------------------------------------------------------
def signature(body: str, timestamp: int, secret: str = SECRET) -> str:
    """Slack's v0 request signature, computed here from the spec (not with the library under test)."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, *, secret: str = SECRET, timestamp: int | None = None, form: bool = False, retry: int | None = None
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "content-type": "application/x-www-form-urlencoded" if form else "application/json",
        "x-slack-request-timestamp": str(ts),
        "x-slack-signature": signature(body, ts, secret),
    }
    if retry is not None:
        headers["x-slack-retry-num"] = str(retry)
        headers["x-slack-retry-reason"] = "http_timeout"
    return headers


# --- payloads ------------------------------------------------------------------------------------------
_ids = itertools.count(1)


def new_ts() -> str:
    return f"1710000000.{next(_ids):06d}"


def event_body(event: dict[str, Any], event_id: str | None = None) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
    )


def mention(
    text: str, user: str = "U0WENDY", channel: str = CHANNEL, ts: str | None = None, thread_ts: str | None = None
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT> {text}",
        "ts": ts or new_ts(),
        "channel": channel,
        "event_ts": ts or new_ts(),
        "team": TEAM,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    text: str,
    user: str = "U0WENDY",
    channel: str = CHANNEL,
    *,
    channel_type: str = "channel",
    thread_ts: str | None = None,
    ts: str | None = None,
) -> dict[str, Any]:
    event = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts or new_ts(),
        "channel": channel,
        "channel_type": channel_type,
        "event_ts": new_ts(),
        "team": TEAM,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def command_body(
    text: str, user: str = "U0WENDY", channel: str = CHANNEL, *, response_url: str = "", trigger_id: str | None = None
) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "tessera",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/portal",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": trigger_id or f"trig-{next(_ids)}",
        }
    )


def action_body(
    action_id: str, value: str, user: str, channel: str, message_ts: str, *, trigger_id: str | None = None
) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "tessera"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "trigger_id": trigger_id or f"trig-{next(_ids)}",
        "channel": {"id": channel, "name": "general"},
        "message": {"ts": message_ts, "text": "Approval needed"},
        "response_url": "",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "approval",
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


async def dispatch(app, body: str, headers: dict[str, str]):
    """A signed delivery straight into the Bolt app, as its HTTP adapters would hand it over."""
    return await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))


# --- models and tools ----------------------------------------------------------------------------------
class StreamingModel(ScriptedModel):
    """A scripted model that streams its text answers word by word (for progressive updates)."""

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        self.seen.append(list(messages))
        message = self.script.pop(0) if self.script else AIMessage(content="(script exhausted)")
        if message.tool_calls:
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
                        for i, c in enumerate(message.tool_calls)
                    ],
                )
            )
            return
        words = str(message.content).split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            if run_manager:
                run_manager.on_llm_new_token(piece)
            time.sleep(0.02)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def tiny_png(path: Path) -> Path:
    """A valid 2x2 PNG, written without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)
    return path


class ChartArgs(BaseModel):
    service: str = Field(description="Component name")


def chart_family(png: Path) -> ToolFamily:
    def run(args: ChartArgs, ctx: ToolContext) -> ToolResult:
        return ToolResult(
            data={
                "service": args.service,
                "total_usd": 1234.5,
                "chart_png": str(png),
                "not_a_chart": str(png.with_suffix(".txt")),
            },
            citations=[Citation(title="Cost report", url="https://cost.example.test/report/1")],
            refs=[f"component:default/{args.service}"],
            attachments=[
                Attachment(path=str(png), media_type="image/png"),
                Attachment(path=str(png.with_suffix(".txt")), media_type="image/png"),
            ],
        )

    tool = PortalTool(
        name="cost_chart",
        description="Cost of a service with a chart (test-only).",
        args_schema=ChartArgs,
        func=run,
        family="testcost",
    )
    return ToolFamily(name="testcost", tools=lambda rt: [tool], intents=lambda rt: [])


def make_service(
    data_dir: Path,
    api: MockSlack,
    script: list[AIMessage],
    *,
    streaming: bool = False,
    png: Path | None = None,
    **settings: Any,
) -> AgentService:
    base = {
        "data_dir": data_dir,
        "catalog": [str(CATALOG)],
        "admin_groups": ["team-admins"],
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_app_token": "xapp-1-test-app-token",
        "slack_api_url": api.api_url,
        # The chat.update path; tests/slack/test_streaming.py turns Slack's native streaming on.
        "slack_native_streaming": False,
    }
    families = [widget_family()]
    if png is not None:
        families.append(chart_family(png))
    runtime = Runtime(Settings(**{**base, **settings}), extra_families=families, builtin_families=False)
    model = (StreamingModel if streaming else ScriptedModel)(script=list(script))
    return AgentService(runtime, model=model)


async def ask_restart(app, api, user="U0WENDY", target="widget-api"):
    """Ask for a restart; return (request, thread message ts, team channel message ts or None)."""
    event = mention(f"restart {target}", user=user)
    body = event_body(event)
    await dispatch(app, body, signed_headers(body))
    update = (
        await api.wait_for(
            "chat.update", where=lambda p: any(b.get("type") == "actions" for b in p.get("blocks") or [])
        )
    )[0]
    actions = next(b for b in update["blocks"] if b["type"] == "actions")
    request_id, digest = render.parse_button_value(actions["elements"][0]["value"])
    service = app._portal_connector.service
    request, status = service.gate.store.get(request_id)
    assert status == "pending" and digest == request.args_hash
    copies = await api.wait_for(
        "chat.postMessage", where=lambda p: p["channel"] == TEAM_CHANNEL and request.id in json.dumps(p.get("blocks"))
    )
    return request, update, event, copies
