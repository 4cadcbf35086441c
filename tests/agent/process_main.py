"""One step of a conversation in its own process, for the restart tests.

    python -m tests.agent.process_main DATA_DIR ask
    python -m tests.agent.process_main DATA_DIR approve REQUEST_ID APPROVER
    python -m tests.agent.process_main DATA_DIR recover THREAD_ID

Prints the turn result as JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

from langchain_core.messages import AIMessage

from agent.approvals import ApprovalDecision
from agent.service import AgentService
from tests.agent.support import ScriptedModel, make_runtime, restart_then_answer


def main(argv: list[str]) -> None:
    data_dir, action, *rest = argv
    runtime = make_runtime(Path(data_dir))
    if action == "ask":
        service = AgentService(runtime, model=ScriptedModel(script=restart_then_answer()))
        result = service.ask("restart widget-api", service.principal("wendy.owner"))
    elif action == "approve":
        request_id, who = rest
        service = AgentService(runtime, model=ScriptedModel(script=[AIMessage(content="restarted")]))
        approver = service.principal(who)
        request, _ = service.gate.store.get(request_id)
        decision = ApprovalDecision(
            request_id=request_id, decision="approve", approver=approver.ref, args_hash=request.args_hash
        )
        result = service.decide(decision, approver)
    elif action == "recover":
        service = AgentService(runtime, model=ScriptedModel(script=[AIMessage(content="recovered")]))
        result = service.recover(rest[0])
    else:
        raise SystemExit(f"unknown action {action}")
    print(result.model_dump_json() if result else "null", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
