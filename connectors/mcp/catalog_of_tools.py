"""What an MCP client sees of portal-agent: every enabled family's tools, plus the assistant itself.

Read-only tools are listed with ``readOnlyHint``. Mutating tools are not listed unless
``PORTAL_AGENT_MCP_MUTATING_TOOLS`` is set; then a call creates an approval request (it never runs
the change), and ``approval_status`` / ``approval_decide`` follow it up under the gate's rules.
"""

from __future__ import annotations

from typing import Any

import mcp.types as types

from contract.tooling import PortalTool

ASK = "ask_portal"
STATUS = "approval_status"
DECIDE = "approval_decide"

ASK_TOOL = types.Tool(
    name=ASK,
    description=(
        "Ask portal-agent, the developer portal's assistant, a question in plain words (who owns X, what "
        "breaks if Y fails, what did Z cost, why is a deployment failing, how do I …). Returns its answer "
        "with the catalog refs it names. Pass `conversation` from an earlier answer to ask a follow-up."
    ),
    inputSchema={
        "type": "object",
        "properties": {
            "question": {"type": "string", "description": "The question, as a person would ask it"},
            "conversation": {"type": "string", "description": "A conversation id returned earlier (follow-ups)"},
        },
        "required": ["question"],
    },
    annotations=types.ToolAnnotations(title="Ask the portal", readOnlyHint=True, openWorldHint=False),
)

STATUS_TOOL = types.Tool(
    name=STATUS,
    description=(
        "Where an approval request stands (pending, approved, rejected, executed, failed, expired…), who "
        "decided it and the result of the change once it ran. Only its requester and its approvers see it."
    ),
    inputSchema={
        "type": "object",
        "properties": {"request_id": {"type": "string", "description": "The id a mutating tool returned (apr_…)"}},
        "required": ["request_id"],
    },
    annotations=types.ToolAnnotations(title="Approval status", readOnlyHint=True, idempotentHint=True),
)

DECIDE_TOOL = types.Tool(
    name=DECIDE,
    description=(
        "Approve or reject an approval request you are allowed to decide (an owner, on-call or admin of "
        "the target; never your own production change). Approving runs the change once."
    ),
    inputSchema={
        "type": "object",
        "properties": {
            "request_id": {"type": "string", "description": "The request's id (apr_…)"},
            "decision": {"type": "string", "enum": ["approve", "reject"], "description": "Your decision"},
            "comment": {"type": "string", "description": "Why (kept in the audit log)"},
        },
        "required": ["request_id", "decision"],
    },
    annotations=types.ToolAnnotations(title="Decide an approval", readOnlyHint=False, destructiveHint=True),
)


def portal_tool(tool: PortalTool) -> types.Tool:
    schema: dict[str, Any] = tool.model_schema()["function"]["parameters"]
    return types.Tool(
        name=tool.name,
        description=tool.description
        + (
            " Over MCP this creates an approval request; the change runs only once a person approves it."
            if tool.mutating
            else ""
        ),
        inputSchema=schema,
        annotations=types.ToolAnnotations(
            title=tool.action or tool.name.replace("_", " "),
            readOnlyHint=not tool.mutating,
            destructiveHint=tool.mutating and tool.destructive,
            idempotentHint=not tool.mutating,
            openWorldHint=False,
        ),
    )


def listed_tools(tools: dict[str, PortalTool], *, mutating: bool) -> list[types.Tool]:
    listed = [portal_tool(t) for t in tools.values() if mutating or not t.mutating]
    return [ASK_TOOL, STATUS_TOOL, *([DECIDE_TOOL] if mutating else []), *listed]
