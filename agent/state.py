"""The graph's state: messages, who is asking, and the approvals decided in this conversation."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    principal: dict[str, Any]
    # tool_call_id -> {"request": ApprovalRequest dict, "status": approved|rejected|refused,
    #                  "reason": str, "run_args": dict, "decided_by": str}
    approvals: Annotated[dict[str, dict[str, Any]], merge_dicts]
