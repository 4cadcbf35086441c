"""One step of a conversation in its own process, for the restart tests.

    python -m tests.support.process_main DATA_DIR ask [QUESTION USER [THREAD_ID]]
    python -m tests.support.process_main DATA_DIR approve REQUEST_ID APPROVER
    python -m tests.support.process_main DATA_DIR recover THREAD_ID
    python -m tests.support.process_main DATA_DIR recover-all
    python -m tests.support.process_main DATA_DIR follow-up THREAD_ID QUESTION USER

Prints the turn result as JSON (``recover-all``: a list of them). With the test catalog and
widget tools, ``ask`` and ``approve`` script the model; ``follow-up`` and anything with
``DEMO_KUBECONFIG`` set (the demo organisation, its cluster reached through that kubeconfig) use
the offline planner.

``CRASH_AT`` kills the process with SIGKILL at one point of a decision, the way a crash would:
``claimed`` (the decision claimed the request, nothing recorded yet), ``approved`` (the gate
recorded the approval, the graph has not checkpointed it), ``unsaved`` (the approval node's writes
are saved, the checkpoint after it is not: checkpoints are written in the background), ``tools`` (the approval is
checkpointed, the approved action not yet claimed for running), ``executing`` (the action is
claimed for running, the tool has not run).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from langchain_core.messages import AIMessage

from agent.gate.policy import ApprovalDecision
from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings
from tests.support.agent import ScriptedModel, make_runtime, restart_then_answer


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def crash_at(service: AgentService, point: str | None) -> None:
    """Make the store's move at ``point`` the last thing this process does."""
    store = service.gate.store
    if point == "claimed":
        claim = store.claim
        store.claim = lambda *a, **kw: claim(*a, **kw) and _die()
    elif point == "approved":
        finish = store.finish

        def finish_then_die(request_id, status, *a, **kw):
            finish(request_id, status, *a, **kw)
            if status == "approved":
                _die()

        store.finish = finish_then_die
    elif point == "tools":
        store.start_execution = lambda request_id: _die()
    elif point == "unsaved":  # the approval node's writes are saved, the checkpoint after it is not
        checkpointer = service.graph.checkpointer
        put_writes = checkpointer.put_writes

        def save_then_die(config, writes, task_id, task_path=""):
            put_writes(config, writes, task_id, task_path)
            if any(channel == "branch:to:tools" for channel, _ in writes):
                _die()

        checkpointer.put_writes = save_then_die
    elif point == "executing":
        start = store.start_execution
        store.start_execution = lambda request_id: start(request_id) and _die()


def service_for(data_dir: Path, script: list[AIMessage] | None) -> AgentService:
    kubeconfig = os.environ.get("DEMO_KUBECONFIG")
    if kubeconfig:
        settings = Settings(data_dir=data_dir, demo=True, kubeconfig=[kubeconfig], admin_groups=["team-platform"])
        return AgentService(Runtime(settings))
    if script is None:
        from agent.planner.model import OfflinePlanner

        runtime = make_runtime(data_dir, with_intents=True, with_status=True)
        return AgentService(runtime, model=OfflinePlanner(runtime=runtime))
    return AgentService(make_runtime(data_dir), model=ScriptedModel(script=script))


def main(argv: list[str]) -> None:
    data_dir, action, *rest = argv
    data_dir = Path(data_dir)
    if action == "ask":
        question, who, *thread = rest or ("restart widget-api", "wendy.owner")
        service = service_for(data_dir, restart_then_answer())
        result = service.ask(question, service.principal(who), thread_id=thread[0] if thread else None)
    elif action == "approve":
        request_id, who = rest
        service = service_for(data_dir, [AIMessage(content="restarted")])
        crash_at(service, os.environ.get("CRASH_AT"))
        approver = service.principal(who)
        request, _ = service.gate.store.get(request_id)
        decision = ApprovalDecision(
            request_id=request_id, decision="approve", approver=approver.ref, args_hash=request.args_hash
        )
        result = service.decide(decision, approver)
    elif action == "recover":
        service = service_for(data_dir, [AIMessage(content="recovered")])
        result = service.recover(rest[0])
    elif action == "recover-all":
        service = service_for(data_dir, [AIMessage(content="recovered")])
        print("[" + ",".join(r.model_dump_json() for r in service.recover_interrupted()) + "]", flush=True)
        return
    elif action == "follow-up":
        thread_id, question, who = rest
        service = service_for(data_dir, None)
        result = service.ask(question, service.principal(who), thread_id=thread_id)
    else:
        raise SystemExit(f"unknown action {action}")
    print(result.model_dump_json() if result else "null", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
