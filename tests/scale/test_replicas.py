"""Two app processes ("replicas") sharing one PostgreSQL database and nothing else.

Each step runs in its own process (``tests/support/process_main.py``) with its own data
directory, so nothing can pass between them through a SQLite file: a conversation started on A
is continued on B, an approval requested on A is decided on B and executes exactly once (also
when A and B decide at the same moment), and work a killed replica left behind is finished by
the other, exactly once. The widget tool records each run in its replica's data directory; the
sum over both is what the "target" saw.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from agent.audit_pg import DatabaseAuditLog
from agent.gate.gate import OUTCOME_UNKNOWN
from agent.gate.store import ApprovalStore
from agent.storage.database import PostgresDatabase
from tests.support.agent import executions, make_runtime
from tests.support.paths import REPO
from tests.support.restart import PROCESS_MAIN, approve_and_hang, run_process, run_step

KEY = "ab" * 32


@pytest.fixture
def replicas(tmp_path, postgres_url) -> tuple[Path, Path, dict[str, str]]:
    a, b = tmp_path / "replica-a", tmp_path / "replica-b"
    env = {"PORTAL_AGENT_DATABASE_URL": postgres_url, "PORTAL_AGENT_AUDIT_KEY": KEY}
    return a, b, env


def _executed(*dirs: Path) -> int:
    return sum(len(executions(make_runtime(d))) for d in dirs)


def _audit(env: dict[str, str], key_dir: Path) -> DatabaseAuditLog:
    return DatabaseAuditLog(PostgresDatabase(env["PORTAL_AGENT_DATABASE_URL"]), key_dir, key=bytes.fromhex(KEY))


def test_an_approval_requested_on_a_is_decided_on_b_and_the_conversation_continues(replicas):
    a, b, env = replicas
    asked = run_step(a, "ask", env=env)
    request = asked["interrupt"]["request"]
    assert not (b / "checkpoints.sqlite").exists() and not (a / "checkpoints.sqlite").exists()

    done = run_step(b, "approve", request["id"], "olga.oncall", env=env)
    assert done["answer"] == "restarted" and done["thread_id"] == asked["thread_id"]
    assert _executed(a, b) == 1 and len(executions(make_runtime(b))) == 1

    again = run_process(a, "approve", request["id"], "olga.oncall", env=env)  # a late click on A
    assert again.returncode != 0 and "already decided" in again.stderr
    assert _executed(a, b) == 1

    # The conversation A started continues on B from the shared checkpoint and approval record.
    follow = run_step(b, "follow-up", asked["thread_id"], "what happened to my request?", "wendy.owner", env=env)
    assert [c["name"] for c in follow["tool_calls"]] == ["approval_status"], follow
    assert request["id"] in follow["answer"]
    report = _audit(env, a).verify()
    assert report.ok and report.anchored, report.reason


def test_simultaneous_decisions_on_both_replicas_execute_once(replicas):
    a, b, env = replicas
    request = run_step(a, "ask", env=env)["interrupt"]["request"]
    procs = [
        subprocess.Popen(
            [*PROCESS_MAIN, str(d), "approve", request["id"], "olga.oncall"],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for d in (a, b)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes[0] == 0 and codes[1] != 0, outs
    assert _executed(a, b) == 1
    assert len(_audit(env, a).find(event="mutation.result", request_id=request["id"])) == 1


def test_a_replica_killed_mid_execution_is_settled_by_the_other_exactly_once(replicas):
    a, b, env = replicas
    asked = run_step(a, "ask", env=env)
    request = asked["interrupt"]["request"]
    proc = approve_and_hang(a, request["id"], env=env)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _executed(a, b) == 1

    recovered = run_step(b, "recover-all", env=env)  # the other replica, at start-up
    assert [r["thread_id"] for r in recovered] == [asked["thread_id"]]
    assert _executed(a, b) == 1  # never re-run blindly
    store = ApprovalStore(PostgresDatabase(env["PORTAL_AGENT_DATABASE_URL"]))
    assert store.status(request["id"]) == "unknown"
    audit = _audit(env, b)
    assert [r["request_id"] for r in audit.find(event="mutation.outcome_unknown")] == [request["id"]]
    assert run_step(a, "recover-all", env=env) == []  # settled once, whichever replica looks next
    state = run_step(b, "follow-up", asked["thread_id"], "did the restart happen?", "wendy.owner", env=env)
    assert OUTCOME_UNKNOWN in state["answer"]


def test_a_replica_on_another_host_is_settled_once_its_heartbeats_stop(replicas):
    """Replicas on different hosts cannot check each other's pids: B leaves A's running action alone
    while A beats, and settles it as outcome unknown once A is killed and its holder lease runs out."""
    a, b, env = replicas
    env = {**env, "PORTAL_AGENT_CLAIM_HOLDER_LEASE_SECONDS": "2"}
    env_a, env_b = {**env, "PORTAL_AGENT_INSTANCE_ID": "pod-a"}, {**env, "PORTAL_AGENT_INSTANCE_ID": "pod-b"}
    asked = run_step(a, "ask", env=env_a)
    request = asked["interrupt"]["request"]
    proc = approve_and_hang(a, request["id"], env=env_a)
    time.sleep(3)  # longer than the holder lease: only A's heartbeats keep its claim alive now
    store = ApprovalStore(PostgresDatabase(env["PORTAL_AGENT_DATABASE_URL"]))
    assert store.row(request["id"]).claimed_by.startswith("pod-a:")
    assert run_step(b, "recover-all", env=env_b) == []  # A is alive on its host: its work is left alone
    assert store.status(request["id"]) == "executing"

    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(3)  # A's last heartbeat ages past the lease
    recovered = run_step(b, "recover-all", env=env_b)
    assert [r["thread_id"] for r in recovered] == [asked["thread_id"]]
    assert store.status(request["id"]) == "unknown"
    assert _executed(a, b) == 1  # never re-run blindly
    assert run_step(b, "recover-all", env=env_b) == []


def test_a_pending_approval_survives_a_killed_decider(replicas):
    a, b, env = replicas
    request = run_step(a, "ask", env=env)["interrupt"]["request"]
    killed = run_process(b, "approve", request["id"], "olga.oncall", env={**env, "CRASH_AT": "claimed"})
    assert killed.returncode == -signal.SIGKILL
    done = run_step(a, "approve", request["id"], "olga.oncall", env=env)  # the claim's holder is gone
    assert done["answer"] == "restarted"
    assert _executed(a, b) == 1
