"""An approval request as the gate would store it, for tests of the stores that keep requests."""

from __future__ import annotations

from datetime import timedelta

from agent.gate.policy import ApprovalRequest, now_utc
from contract.tooling import Preview


def approval_request(request_id: str = "req-1") -> ApprovalRequest:
    now = now_utc()
    return ApprovalRequest(
        id=request_id,
        thread_id="thread-1",
        tool_call_id="call-1",
        tool="restart_deployment",
        action="restart",
        target="component:default/widget-api",
        args={"name": "widget-api"},
        args_hash="h",
        requested_by="user:default/wendy",
        preview=Preview(summary="restart widget-api"),
        risk="medium",
        approvers=["user:default/olga"],
        created_at=now,
        expires_at=now + timedelta(minutes=30),
    )
