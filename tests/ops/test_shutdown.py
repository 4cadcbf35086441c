"""Graceful shutdown of ``portal-agent serve``'s server (:class:`connectors.web.server.GracefulServer`).

The server runs under uvicorn on a loopback port; a scripted model calls a tool that blocks until
the test lets it go, so a run is in progress when the server is told to stop, exactly as uvicorn's
SIGTERM handler tells it (``handle_exit``).
"""

from __future__ import annotations

import signal
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from agent.runtime import Runtime
from agent.service import AgentService
from connectors.web.app import create_app
from connectors.web.server import GracefulServer
from connectors.web.threads import ThreadStore
from contract.settings import Settings
from contract.tooling import PortalTool, ToolResult
from tests.support.agent import DATA, ScriptedModel, call
from tests.support.web import TOKENS, ask_body, auth, parse_sse
from tools.registry import ToolFamily


class NoArgs(BaseModel):
    pass


class Blocking:
    """A read-only tool that signals it started and waits to be released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def family(self) -> ToolFamily:
        def run(args: NoArgs, ctx) -> ToolResult:
            self.entered.set()
            self.release.wait(60)
            return ToolResult(data={"report": "ready"})

        tool = PortalTool(name="slow_report", description="A slow report.", args_schema=NoArgs, func=run, family="slow")
        return ToolFamily(name="slow", tools=lambda rt: [tool], intents=lambda rt: [])


class Served:
    def __init__(self, tmp_path, grace: float):
        self.tool = Blocking()
        settings = Settings(
            data_dir=tmp_path, catalog=[str(DATA / "catalog.yaml")], web_api_tokens=TOKENS, shutdown_grace_seconds=grace
        )
        runtime = Runtime(settings, extra_families=[self.tool.family()], builtin_families=False)
        self.data_dir = runtime.data_dir
        model = ScriptedModel(script=[call("slow_report", {}), AIMessage(content="The report is ready.")])
        self.app = create_app(AgentService(runtime, model=model), background_indexing=False)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_config=None, timeout_graceful_shutdown=int(grace)
        )
        self.server = GracefulServer(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.result: dict = {}

    def start(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("not ready")

    def ask_in_background(self) -> threading.Thread:
        thread_id = httpx.post(self.url + "/threads", json={}, headers=auth("wendy")).json()["thread_id"]
        self.result["thread_id"] = thread_id

        def ask() -> None:
            try:
                body = {"assistant_id": "agent", **ask_body("the slow report please", "values")}
                response = httpx.post(
                    f"{self.url}/threads/{thread_id}/runs/stream", json=body, headers=auth("wendy"), timeout=60
                )
                self.result["events"] = parse_sse(response.text)
            except httpx.HTTPError as exc:
                self.result["error"] = exc

        asker = threading.Thread(target=ask, daemon=True)
        asker.start()
        assert self.tool.entered.wait(30), "the run never reached its tool"
        return asker

    def refuses_connections(self, within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/healthz", timeout=0.5)
            except httpx.ConnectError:
                return True
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        return False


@pytest.fixture
def served(tmp_path):
    made: list[Served] = []

    def start(grace: float) -> Served:
        made.append(Served(tmp_path, grace).start())
        return made[-1]

    yield start
    for one in made:
        one.tool.release.set()
        one.server.should_exit = True
        one.thread.join(timeout=30)


def test_a_run_in_progress_finishes_while_new_connections_are_refused(served):
    server = served(grace=20)
    asker = server.ask_in_background()
    signalled = time.monotonic()
    server.server.handle_exit(signal.SIGTERM, None)
    assert server.refuses_connections(within=3), "still accepting connections after SIGTERM"
    assert server.thread.is_alive(), "stopped without waiting for the run in progress"
    server.tool.release.set()
    asker.join(timeout=30)
    events = server.result.get("events")
    assert events, server.result.get("error")
    assert events[-1] == ("end", {"run_id": events[0][1]["run_id"], "status": "success"})
    values = [data for name, data in events if name == "values"]
    assert values[-1]["messages"][-1]["content"] == "The report is ready."
    server.thread.join(timeout=30)
    assert not server.thread.is_alive()
    assert time.monotonic() - signalled < 20
    assert server.app.state.web.busy == set()  # the thread's lease was released


def test_a_run_past_the_grace_is_cancelled_and_releases_its_thread(served):
    server = served(grace=1)
    server.ask_in_background()
    web = server.app.state.web
    assert web.busy == {server.result["thread_id"]}
    signalled = time.monotonic()
    server.server.handle_exit(signal.SIGTERM, None)
    while web.busy and time.monotonic() - signalled < 30:
        time.sleep(0.05)
    released = time.monotonic() - signalled
    assert web.busy == set(), "the cut-off run still holds its thread"
    # The grace (1 s), the cancel (at most 5 s more), and room for a loaded machine; the tool
    # itself would hold it for 60 s.
    assert released < 20, released
    assert not server.tool.release.is_set()  # released while the tool was still running
    # A thread cannot be cancelled: the process ends once the tool's call returns (every client the
    # tools use has a timeout), or when Kubernetes' termination grace runs out.
    server.tool.release.set()
    server.thread.join(timeout=20)
    assert not server.thread.is_alive()
    # The thread table (closed with the app) says the run ended, whichever way.
    reopened = ThreadStore(server.data_dir / "web.db")
    try:
        assert reopened.get(server.result["thread_id"]).status != "busy"
    finally:
        reopened.close()
