"""The CLI through subprocesses, as people and scripts run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_CATALOG = ROOT / "tests" / "agent" / "data" / "catalog.yaml"


def run_cli(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_AGENT_")}
    return subprocess.run(
        [sys.executable, "-m", "portal_agent.cli", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**clean, "PORTAL_AGENT_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_ask_json_over_a_given_catalog(tmp_path):
    out = run_cli(tmp_path, "ask", "who owns widget-api?", "--json", "--catalog", str(TEST_CATALOG))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) >= {"answer", "tool_calls", "thread_id", "interrupt"}
    assert result["interrupt"] is None
    assert "catalog_owner" in [c["name"] for c in result["tool_calls"]]
    assert "team-widgets" in result["answer"]


def test_ask_continues_a_thread(tmp_path):
    first = json.loads(
        run_cli(tmp_path, "ask", "who owns widget-api?", "--json", "--catalog", str(TEST_CATALOG)).stdout
    )
    second = run_cli(
        tmp_path,
        "ask",
        "and who is on call for it?",
        "--json",
        "--catalog",
        str(TEST_CATALOG),
        "--thread",
        first["thread_id"],
    )
    result = json.loads(second.stdout)
    assert result["thread_id"] == first["thread_id"]
    assert "olga.oncall" in result["answer"]


def test_repeated_catalog_option_replaces_configuration(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: gizmo-svc\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: team-gizmo\n"
    )
    out = run_cli(
        tmp_path,
        "ask",
        "who owns gizmo-svc?",
        "--json",
        "--catalog",
        str(TEST_CATALOG),
        "--catalog",
        str(extra),
        env={"PORTAL_AGENT_CATALOG": "/nonexistent"},
    )
    assert out.returncode == 0, out.stderr
    assert "team-gizmo" in json.loads(out.stdout)["answer"]


def test_config_masks_secrets(tmp_path):
    out = run_cli(tmp_path, "config", "--json", env={"PORTAL_AGENT_SLACK_BOT_TOKEN": "xoxb-secret-value"})
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout)
    assert config["slack_bot_token"] == "********"
    assert "xoxb-secret-value" not in out.stdout


def test_catalog_validate_names_the_broken_file(tmp_path):
    good = tmp_path / "cat"
    good.mkdir()
    (good / "ok.yaml").write_text(TEST_CATALOG.read_text())
    (good / "broken.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: [oops\n")
    out = run_cli(tmp_path, "catalog", "validate", str(good))
    assert out.returncode == 1
    assert "broken.yaml" in out.stdout
    clean = run_cli(tmp_path, "catalog", "validate", str(TEST_CATALOG))
    assert clean.returncode == 0, clean.stdout


def test_audit_verify_detects_tampering(tmp_path):
    from agent.audit import AuditLog

    log = AuditLog(tmp_path / "data" / "audit.jsonl")
    log.append("a", x=1)
    log.append("b", x=2)
    assert run_cli(tmp_path, "audit", "verify").returncode == 0
    path = tmp_path / "data" / "audit.jsonl"
    path.write_text(path.read_text().replace('"x": 1', '"x": 3'))
    out = run_cli(tmp_path, "audit", "verify")
    assert out.returncode == 1 and "TAMPERED at line 1" in out.stderr


@pytest.mark.parametrize("question", ["write me a poem about kafka"])
def test_offline_mode_is_honest(tmp_path, question):
    out = run_cli(tmp_path, "ask", question, "--json", "--catalog", str(TEST_CATALOG))
    result = json.loads(out.stdout)
    assert result["tool_calls"] == [] and "LLM" in result["answer"]


def test_interactive_chat_streams_answers_and_remembers_the_thread(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_AGENT_")}
    out = subprocess.run(
        [sys.executable, "-m", "portal_agent.cli", "chat", "--catalog", str(TEST_CATALOG), "--user", "wendy.owner"],
        input="who owns widget-api?\nand who is on call for it?\nexit\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**clean, "PORTAL_AGENT_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr
    assert "→ catalog_owner" in out.stdout  # tool activity is shown
    assert "team-widgets" in out.stdout
    assert "olga.oncall" in out.stdout  # the follow-up resolved "it" from the first turn
