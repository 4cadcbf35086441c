"""A pending approval survives a process kill and restart, and executes exactly once; a process
killed at any point of a decision leaves nothing in limbo (each step runs in its own process,
killed with SIGKILL at a chosen point by ``tests/support/process_main.py``)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from agent.audit import AuditLog
from agent.gate.gate import OUTCOME_UNKNOWN
from tests.support.agent import executions, make_runtime
from tests.support.paths import REPO
from tests.support.restart import PROCESS_MAIN, approve_and_hang, crash, run_step, store


def test_pending_approval_survives_process_restart(tmp_path):
    asked = run_step(tmp_path, "ask")
    request = asked["interrupt"]["request"]
    assert executions(make_runtime(tmp_path)) == []
    done = run_step(tmp_path, "approve", request["id"], "olga.oncall")  # a new process
    assert done["answer"] == "restarted"
    assert len(executions(make_runtime(tmp_path))) == 1
    # A second approval of the same request, from yet another process, executes nothing.
    again = subprocess.run(
        [*PROCESS_MAIN, str(tmp_path), "approve", request["id"], "olga.oncall"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode != 0 and "already decided" in again.stderr
    assert len(executions(make_runtime(tmp_path))) == 1


def test_kill_during_execution_never_executes_twice(tmp_path):
    asked = run_step(tmp_path, "ask")
    request = asked["interrupt"]["request"]
    # The tool records its run, then hangs: killed mid-execution, after the action took effect.
    proc = approve_and_hang(tmp_path, request["id"], timeout=60)
    audit = AuditLog(tmp_path / "audit.jsonl")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(executions(make_runtime(tmp_path))) == 1

    recovered = run_step(tmp_path, "recover-all")  # what `serve`, `slack` and `chat` run at start-up
    assert [r["thread_id"] for r in recovered] == [asked["thread_id"]] and recovered[0]["answer"] == "recovered"
    assert len(executions(make_runtime(tmp_path))) == 1  # not run again
    assert audit.find(event="mutation.result") == []  # the outcome is recorded as unknown, not invented
    assert [r["request_id"] for r in audit.find(event="mutation.outcome_unknown")] == [request["id"]]
    assert store(tmp_path).status(request["id"]) == "unknown"
    assert audit.verify().ok
    assert run_step(tmp_path, "recover-all") == []  # settled once

    # The conversation was told, and a follow-up is answered from the approval record, not the docs.
    from agent.service import AgentService

    service = AgentService(make_runtime(tmp_path))
    tool_messages = [m for m in service.graph.get_state(service._config(asked["thread_id"])).values["messages"]]
    assert OUTCOME_UNKNOWN in tool_messages[-2].content and request["id"] in tool_messages[-2].content
    for question in ("did the restart happen?", "what happened to my request?"):
        follow = run_step(tmp_path, "follow-up", asked["thread_id"], question, "wendy.owner")
        assert [c["name"] for c in follow["tool_calls"]] == ["approval_status"], follow
        assert OUTCOME_UNKNOWN in follow["answer"] and request["id"] in follow["answer"]
        assert "approved by user:default/olga.oncall" in follow["answer"]
    assert len(executions(make_runtime(tmp_path))) == 1


def test_a_decision_killed_after_its_claim_is_decidable_again(tmp_path):
    request = run_step(tmp_path, "ask")["interrupt"]["request"]
    crash(tmp_path, "claimed", request["id"])
    assert store(tmp_path).status(request["id"]) == "deciding" and executions(make_runtime(tmp_path)) == []
    # Its holder is gone, so the claim has lapsed at once: listed as pending, decidable, once.
    assert [r.id for r in store(tmp_path).pending()] == [request["id"]]
    done = run_step(tmp_path, "approve", request["id"], "olga.oncall")
    assert done["answer"] == "restarted" and len(executions(make_runtime(tmp_path))) == 1
    assert store(tmp_path).status(request["id"]) == "executed"


@pytest.mark.parametrize(
    "point",
    [
        "approved",  # the gate recorded the approval; the graph never checkpointed it
        "tools",  # the approval is checkpointed; the tools node never claimed the execution
        "unsaved",  # the approval node's writes are saved, the step after it never checkpointed
    ],
)
def test_an_approval_killed_before_execution_runs_once_at_start_up(tmp_path, point):
    asked = run_step(tmp_path, "ask")
    request = asked["interrupt"]["request"]
    crash(tmp_path, point, request["id"])
    assert store(tmp_path).status(request["id"]) == "approved" and executions(make_runtime(tmp_path)) == []

    recovered = run_step(tmp_path, "recover-all")
    assert [r["thread_id"] for r in recovered] == [asked["thread_id"]] and recovered[0]["answer"] == "recovered"
    assert len(executions(make_runtime(tmp_path))) == 1 and store(tmp_path).status(request["id"]) == "executed"
    audit = AuditLog(tmp_path / "audit.jsonl")
    events = [r["event"] for r in audit.records()]
    assert events == ["approval.requested", "approval.approved", "mutation.executing", "mutation.result"]
    assert audit.verify().ok
    assert run_step(tmp_path, "recover-all") == [] and len(executions(make_runtime(tmp_path))) == 1


async def test_a_running_web_app_settles_an_orphaned_action_in_its_periodic_sweep(tmp_path):
    """Not only at start-up: a serving replica's sweep settles an action whose process died later."""
    import asyncio

    from langchain_core.messages import AIMessage

    from agent.service import AgentService
    from connectors.web.app import create_app
    from tests.support.agent import ScriptedModel

    asked = await asyncio.to_thread(run_step, tmp_path, "ask")
    request = asked["interrupt"]["request"]
    service = AgentService(make_runtime(tmp_path), model=ScriptedModel(script=[AIMessage(content="recovered")]))
    app = create_app(service, background_indexing=False)
    async with app.router.lifespan_context(app):  # serving before the crash below
        proc = subprocess.Popen(
            [*PROCESS_MAIN, str(tmp_path), "approve", request["id"], "olga.oncall"],
            cwd=REPO,
            env={**os.environ, "WIDGET_RESTART_HANGS": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not executions(make_runtime(tmp_path)) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        for sweep in app.state.sweeps:  # what the app runs every SWEEP_SECONDS
            await sweep()
    assert store(tmp_path).status(request["id"]) == "unknown"
    assert len(executions(make_runtime(tmp_path))) == 1
