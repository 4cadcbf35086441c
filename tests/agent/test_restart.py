"""A pending approval survives a process kill and restart, and executes exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent.audit import AuditLog
from tests.agent.support import executions, make_runtime

ROOT = Path(__file__).resolve().parents[2]


def run_step(data_dir: Path, *args: str, env: dict | None = None) -> dict | None:
    out = subprocess.run(
        [sys.executable, "-m", "tests.agent.process_main", str(data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_pending_approval_survives_process_restart(tmp_path):
    asked = run_step(tmp_path, "ask")
    request = asked["interrupt"]["request"]
    assert executions(make_runtime(tmp_path)) == []
    done = run_step(tmp_path, "approve", request["id"], "olga.oncall")  # a new process
    assert done["answer"] == "restarted"
    assert len(executions(make_runtime(tmp_path))) == 1
    # A second approval of the same request, from yet another process, executes nothing.
    again = subprocess.run(
        [sys.executable, "-m", "tests.agent.process_main", str(tmp_path), "approve", request["id"], "olga.oncall"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode != 0 and "already decided" in again.stderr
    assert len(executions(make_runtime(tmp_path))) == 1


def test_kill_during_execution_never_executes_twice(tmp_path):
    asked = run_step(tmp_path, "ask")
    request = asked["interrupt"]["request"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.agent.process_main", str(tmp_path), "approve", request["id"], "olga.oncall"],
        cwd=ROOT,
        env={**os.environ, "WIDGET_RESTART_HANGS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    audit = AuditLog(tmp_path / "audit.jsonl")
    deadline = time.monotonic() + 60
    while not audit.find(event="mutation.executing") and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(executions(make_runtime(tmp_path))) == 1

    recovered = run_step(tmp_path, "recover", asked["thread_id"])
    assert recovered["answer"] == "recovered"
    assert len(executions(make_runtime(tmp_path))) == 1  # not run again
    assert audit.find(event="mutation.result") == []  # the outcome is recorded as unknown, not invented
    assert audit.verify().ok
