"""What became of the changes requested in this conversation: "did the restart happen?".

The approval store knows, for each request of a thread, whether it is waiting, was approved,
rejected, refused or expired, and whether it ran, failed or was cut short by a crash (outcome
unknown). This read-only tool lists exactly that for the conversation it is asked in, and the
offline-planner intent below answers from it, never from the docs: after a restart, "what happened
to my request?" deserves the record, not a guess.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agent.gate.expiry import EXPIRY_PRINCIPAL
from contract.intent_files import load_intents
from contract.intents import Answer, Intent, PlanState, StepResult
from contract.tooling import PortalTool, ToolContext, ToolResult
from tools.registry import ToolFamily

if TYPE_CHECKING:
    from agent.gate.store import StoredApproval
    from agent.runtime import Runtime

FAMILY = "approvals"
TOOL = "approval_status"
RESULT_CHARS = 300


class NoArgs(BaseModel):
    """The tool takes no arguments: it reports on the conversation it is called in."""


def _entry(row: StoredApproval) -> dict[str, Any]:
    request, decision = row.request, row.decision
    entry: dict[str, Any] = {
        "request_id": request.id,
        "action": request.action,
        "tool": request.tool,
        "target": request.target,
        "args": request.args,
        "requested_by": request.requested_by,
        "requested_at": request.created_at.isoformat(),
        "status": row.status,
        "approvers": request.approvers,
        "expires_at": request.expires_at.isoformat(),
    }
    if decision is not None and row.status not in ("pending", "deciding"):
        entry["decided_by"] = decision.approver
        entry["decision"] = decision.decision
    if row.result:
        entry["result"] = row.result
    return entry


def _status(args: NoArgs, ctx: ToolContext) -> ToolResult:
    from agent.gate.store import approval_store

    if not ctx.thread_id:
        return ToolResult.failure("this conversation has no thread id, so it has no approval requests")
    rows = approval_store(ctx.runtime).for_thread(ctx.thread_id)
    return ToolResult(
        data={"requests": [_entry(row) for row in rows]},
        source="approval store",
        refs=list(dict.fromkeys(row.request.target for row in rows)),
    )


def build_tools(runtime: Runtime) -> list[PortalTool]:
    return [
        PortalTool(
            name=TOOL,
            description=(
                "The change requests (restarts, scales, rollbacks, repositories…) made in this conversation: "
                "whether each is waiting for approval, was approved, rejected, refused or expired, and whether "
                "it executed, failed or has an unknown outcome after a crash, with its result."
            ),
            args_schema=NoArgs,
            func=_status,
            family=FAMILY,
        )
    ]


# --- the offline planner's intent ---------------------------------------------------------------
def _summary(result: Any) -> str:
    if not isinstance(result, dict):
        return ""
    if result.get("error"):
        return str(result["error"])
    shown = result.get("data", result.get("reason"))
    if shown is None:
        return ""
    text = shown if isinstance(shown, str) else json.dumps(shown, sort_keys=True, default=str)
    return text if len(text) <= RESULT_CHARS else text[: RESULT_CHARS - 1] + "…"


def describe(entry: dict[str, Any]) -> str:
    """One line per request, in words, from the store's record only."""
    what = f"{entry['action']} on {entry['target']} (request `{entry['request_id']}`, by {entry['requested_by']})"
    by = entry.get("decided_by")
    status = entry["status"]
    detail = _summary(entry.get("result"))
    if status in ("pending", "deciding"):
        said = f"waiting for a decision by {', '.join(entry['approvers'])} until {entry['expires_at']}"
    elif status == "approved":
        said = f"approved by {by}, not run yet"
    elif status == "executing":
        said = f"approved by {by} and running"
    elif status == "executed":
        said = f"approved by {by} and executed" + (f"; result: {detail}" if detail else "")
    elif status == "failed":
        said = f"approved by {by}, but it failed" + (f": {detail}" if detail else "")
    elif status == "unknown":
        said = (
            f"approved by {by}; outcome unknown — check the target: it was started but the process running it "
            "stopped before recording the result, and it was not run again"
        )
    elif status == "rejected":
        said = f"rejected by {by}" + (f": {detail}" if detail else "")
    elif by == EXPIRY_PRINCIPAL.ref:
        said = "expired before anyone decided it; nothing ran"
    else:
        said = "refused, nothing ran" + (f": {detail}" if detail else "")
    return f"- {what}: {said}."


def status(state: PlanState, step: StepResult) -> Answer:
    """The requests of this conversation, the latest first, from the approval store's record."""
    entries = (step.data or {}).get("requests") or []
    if not entries:
        return Answer(
            text=(
                "No change was requested in this conversation, so nothing was restarted, scaled or changed "
                "from here. I can only report on requests made in this conversation."
            ),
            refs=state.focus,
        )
    lines = [describe(entry) for entry in reversed(entries)]  # the latest first
    heading = (
        "The change requested in this conversation:" if len(lines) == 1 else "Changes requested here, latest first:"
    )
    return Answer(text="\n".join([heading, *lines]), refs=list(dict.fromkeys(e["target"] for e in entries)))


def build_intents(runtime: Runtime) -> list[Intent]:
    return load_intents(__name__, runtime)


family = ToolFamily(name=FAMILY, tools=build_tools, intents=build_intents)
