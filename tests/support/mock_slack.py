"""A local Slack Web API server that records every call, in the manner of slack-bolt's own tests.

It runs ``http.server`` on 127.0.0.1 in a thread; the app reaches it through
``PORTAL_AGENT_SLACK_API_URL`` (``settings.slack_api_url``), so the real ``AsyncWebClient`` speaks real
HTTP to it. It also serves the file upload URLs it hands out and slash-command response URLs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT_USER = "UBOT"
TEAM = "T0TEST"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


def _decode(value: Any) -> Any:
    """Form fields such as ``blocks`` arrive as JSON strings; decode them for assertions."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class MockSlack:
    def __init__(self, users: dict[str, dict[str, Any]] | None = None):
        self.users = users or {}
        self.calls: list[Call] = []
        self.fail: dict[str, str] = {}  # method -> Slack error code to return
        self.fail_first: dict[str, int] = {}  # method -> how many of its next calls get "ratelimited"
        self.not_in_channels: set[str] = set()
        self.socket_url = ""  # what apps.connections.open hands out (Socket Mode tests)
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._lock = threading.Lock()
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _respond(self, status: int, body: Any) -> None:
                raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _params(self) -> dict[str, Any]:
                parsed = urlparse(self.path)
                params: dict[str, Any] = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type") or ""
                if raw and "json" in ctype:
                    params.update(json.loads(raw))
                elif raw and "x-www-form-urlencoded" in ctype:
                    params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
                elif raw:
                    params["_bytes"] = len(raw)
                    params["_head"] = raw[:16]
                return {k: _decode(v) for k, v in params.items()}

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                params = self._params()
                method = path.rsplit("/api/", 1)[-1] if "/api/" in path else path
                mock.record(Call(method, params, {k.lower(): v for k, v in self.headers.items()}))
                status, body = mock.answer(method, params, self.headers)
                self._respond(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> MockSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- behaviour -------------------------------------------------------------------------------
    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def answer(self, method: str, params: dict[str, Any], headers: Any) -> tuple[int, Any]:
        if method == "/_calls":  # for benchmarks running the stand-in in another process
            with self._lock:
                return 200, [
                    {
                        "method": c.method,
                        "channel": c.params.get("channel"),
                        "working": "hourglass" in json.dumps(c.params.get("blocks")),
                    }
                    for c in self.calls
                    if c.method != "/_calls"
                ]
        if method.startswith("/upload/"):
            return 200, f"OK - {params.get('_bytes', 0)}"
        if method.startswith("/response/"):
            return 200, {"ok": True}
        if not str(headers.get("Authorization", "")).startswith("Bearer x"):
            return 200, {"ok": False, "error": "not_authed"}
        if method in self.fail:
            return 200, {"ok": False, "error": self.fail[method]}
        with self._lock:
            if self.fail_first.get(method, 0) > 0:
                self.fail_first[method] -= 1
                return 200, {"ok": False, "error": "ratelimited"}
        if method == "auth.test":
            return 200, {
                "ok": True,
                "url": "https://tessera-test.slack.com/",
                "team": "Tessera",
                "user": "portal",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "B0BOT",
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            if not str(headers.get("Authorization", "")).startswith("Bearer xapp-"):
                return 200, {"ok": False, "error": "invalid_auth"}
            return 200, {"ok": True, "url": self.socket_url}
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            if user is None:
                return 200, {"ok": False, "error": "user_not_found"}
            return 200, {"ok": True, "user": user}
        if method == "chat.postMessage":
            channel = params.get("channel")
            if channel in self.not_in_channels:
                return 200, {"ok": False, "error": "not_in_channel"}
            ts = f"1700000000.{next(self._ts):06d}"
            params["_ts"] = ts  # recorded with the call: the ts Slack gave the message
            return 200, {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method == "chat.startStream":
            ts = f"1700000002.{next(self._ts):06d}"
            params["_ts"] = ts
            return 200, {"ok": True, "channel": params.get("channel"), "ts": ts}
        if method in ("chat.appendStream", "chat.stopStream"):
            return 200, {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.update":
            return 200, {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
        if method == "files.getUploadURLExternal":
            n = next(self._files)
            return 200, {"ok": True, "upload_url": f"{self.base}/upload/F{n}", "file_id": f"F{n:04d}"}
        if method == "files.completeUploadExternal":
            files = params.get("files") or []
            return 200, {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "files.info":
            return 200, {"ok": True, "file": {"id": params.get("file")}}
        return 200, {"ok": True}

    # --- assertions ------------------------------------------------------------------------------
    def of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [c.method for c in self.calls]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 45.0, where=None) -> list[dict]:
        """Wait until ``count`` calls of ``method`` (matching ``where``) were made; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [p for p in self.of(method) if where is None or where(p)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} call(s) of {method}, saw {len(found)}; calls: {self.methods()}")
            await asyncio.sleep(0.02)

    async def settle(self, quiet: float = 0.3, timeout: float = 20.0) -> None:
        """Wait until no call has arrived for ``quiet`` seconds (the background work is done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                last = self.calls[-1].at if self.calls else 0.0
            if time.monotonic() - last >= quiet:
                return
            await asyncio.sleep(0.05)


def blocks_text(blocks: Any) -> str:
    """Every piece of text in a list of blocks, for assertions."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    out.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(blocks)
    return "\n".join(out)
