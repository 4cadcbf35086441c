"""Conversation steps run each in its own process (``tests/support/process_main.py``), so that a
test can kill one with SIGKILL at a chosen point and check what survives a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from agent.gate.store import ApprovalStore
from tests.support.paths import REPO

PROCESS_MAIN = [sys.executable, "-m", "tests.support.process_main"]


def run_process(data_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PROCESS_MAIN, str(data_dir), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def run_step(data_dir: Path, *args: str, env: dict | None = None) -> dict | list | None:
    out = run_process(data_dir, *args, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def crash(data_dir: Path, point: str, request_id: str, approver: str = "olga.oncall", env: dict | None = None) -> None:
    """An approval whose process is killed (SIGKILL) at ``point``."""
    out = run_process(data_dir, "approve", request_id, approver, env={**(env or {}), "CRASH_AT": point})
    assert out.returncode == -signal.SIGKILL, (out.returncode, out.stderr)


def store(data_dir: Path) -> ApprovalStore:
    return ApprovalStore(data_dir / "portal-agent.db")


def approve_and_hang(
    data_dir: Path, request_id: str, env: dict | None = None, timeout: float = 120
) -> subprocess.Popen:
    """An approval whose approved action records its run and then hangs (``WIDGET_RESTART_HANGS``):
    returned once the run is recorded, for the test to kill mid-execution."""
    import time

    from tests.support.agent import executions, make_runtime

    proc = subprocess.Popen(
        [*PROCESS_MAIN, str(data_dir), "approve", request_id, "olga.oncall"],
        cwd=REPO,
        env={**os.environ, **(env or {}), "WIDGET_RESTART_HANGS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout
    while not executions(make_runtime(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return proc
