"""`portal-agent chat` and `portal-agent serve` finish, at start-up, the approved change a killed
process left behind; `portal-agent ask` refuses new input on a conversation waiting for a decision.

The demo organisation against the Kubernetes API stand-in (over HTTP, through a kubeconfig file);
the crash is a real SIGKILL of the deciding process (``tests/support/process_main.py``)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.kubernetes import start_server, write_kubeconfig
from tests.support.restart import crash, run_step, store

ROOT = Path(__file__).resolve().parents[2]
RESTART_PATH = "/apis/apps/v1/namespaces/commerce/deployments/checkout"


@pytest.fixture
def cluster(tmp_path):
    server = start_server()
    yield server, write_kubeconfig(tmp_path / "kubeconfig.yaml", server)
    server.stop()


def writes(server) -> list:
    return [m for m in server.mutations() if "All" not in m[2].get("dryRun", [])]


def cli_env(tmp_path: Path, kubeconfig: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_AGENT_")}
    return {
        **clean,
        "PORTAL_AGENT_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_AGENT_KUBECONFIG": str(kubeconfig),
        "PORTAL_AGENT_ADMIN_GROUPS": "team-platform",
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "200",
        "PYTHONUNBUFFERED": "1",
    }


def approved_then_killed(tmp_path: Path, kubeconfig: Path) -> tuple[str, str]:
    """marco asks to restart checkout; hannah's approval process dies once the approval is recorded."""
    demo = {"DEMO_KUBECONFIG": str(kubeconfig)}
    asked = run_step(tmp_path / "data", "ask", "restart checkout", "marco.bianchi", env=demo)
    request_id = asked["interrupt"]["request"]["id"]
    crash(tmp_path / "data", "approved", request_id, "hannah.okafor", env=demo)
    assert store(tmp_path / "data").status(request_id) == "approved"
    return asked["thread_id"], request_id


def test_chat_finishes_an_interrupted_approved_change_at_start_up(tmp_path, cluster):
    server, kubeconfig = cluster
    thread_id, request_id = approved_then_killed(tmp_path, kubeconfig)
    assert writes(server) == []
    out = subprocess.run(
        [sys.executable, "-m", "portal_agent.cli", "chat", "--demo", "--user", "marco.bianchi"],
        input="exit\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env=cli_env(tmp_path, kubeconfig),
    )
    assert out.returncode == 0, out.stderr
    assert f"finished a change a restart interrupted (conversation {thread_id})" in out.stdout
    assert [w[1] for w in writes(server)] == [RESTART_PATH]
    assert store(tmp_path / "data").status(request_id) == "executed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_finishes_an_interrupted_approved_change_before_serving(tmp_path, cluster):
    server, kubeconfig = cluster
    thread_id, request_id = approved_then_killed(tmp_path, kubeconfig)
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal_agent.cli", "serve", "--demo", "--port", str(_free_port())],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=cli_env(tmp_path, kubeconfig),
    )
    said = f"finished a change a restart interrupted (conversation {thread_id})"
    try:
        deadline = time.monotonic() + 120
        while said not in (tmp_path / "serve.log").read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        assert said in (tmp_path / "serve.log").read_text()
        assert store(tmp_path / "data").status(request_id) == "executed"
        assert [w[1] for w in writes(server)] == [RESTART_PATH]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_ask_refuses_a_new_question_on_a_conversation_waiting_for_a_decision(tmp_path, cluster):
    server, kubeconfig = cluster
    env = cli_env(tmp_path, kubeconfig)

    def ask(*args: str) -> subprocess.CompletedProcess:
        command = [
            sys.executable,
            "-m",
            "portal_agent.cli",
            "ask",
            *args,
            "--demo",
            "--user",
            "marco.bianchi",
            "--json",
        ]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=180, env=env)

    asked = ask("restart checkout")
    assert asked.returncode == 0, asked.stderr
    first = json.loads(asked.stdout)
    request_id = first["interrupt"]["request"]["id"]
    again = ask("who owns checkout?", "--thread", first["thread_id"])
    assert again.returncode == 4 and request_id in again.stderr and "decide it first" in again.stderr
    assert writes(server) == [] and store(tmp_path / "data").status(request_id) == "pending"
