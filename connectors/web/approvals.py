"""``/approvals``: the pending requests the caller may decide, and deciding them.

The same policy as everywhere (``AgentService.check_decision``): the approver is the
authenticated caller; a refused decision is a 403 and leaves the request pending.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from agent.gate.policy import ApprovalDecision
from agent.service import DecisionRefused
from connectors.web.bodies import WebBody
from connectors.web.context import WebContext
from connectors.web.pages import CSP, page


class DecideBody(WebBody):
    decision: Literal["approve", "reject"]
    args_hash: str | None = None
    comment: str | None = None


def build_router(ctx: WebContext) -> APIRouter:
    router = APIRouter(tags=["approvals"])
    service = ctx.service

    @router.get("/approvals", response_model=None)
    async def approvals(request: Request) -> Any:
        """HTML for browsers; JSON (``Accept: application/json``) for scripts and the page itself."""
        if "text/html" in request.headers.get("accept", "") and "json" not in request.headers.get("accept", ""):
            return HTMLResponse(
                page("approvals"), headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}
            )
        principal = ctx.limit_reads(request)
        pending = await asyncio.to_thread(service.pending_for, principal)
        return {
            "user": principal.ref,
            "read_only": principal.read_only,
            "pending": [r.model_dump(mode="json") for r in pending],
        }

    @router.post("/approvals/{request_id}")
    async def decide(request_id: str, body: DecideBody, request: Request) -> dict[str, Any]:
        principal = ctx.limit_runs(request)
        found = await asyncio.to_thread(service.approval, request_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no approval request {request_id}")
        stored = found.request
        thread_id = stored.thread_id or ""
        decision = ApprovalDecision(
            request_id=request_id,
            decision=body.decision,
            approver=principal.ref,
            args_hash=body.args_hash or stored.args_hash,
            comment=body.comment,
        )
        with ctx.lease(thread_id):
            try:
                await ctx.graph()
                result = await service.adecide(decision, principal)
            except DecisionRefused as exc:
                raise HTTPException(status_code=403, detail=str(exc)) from exc
        decided = await asyncio.to_thread(service.approval, request_id)
        status = decided.status if decided else None
        if ctx.threads.get(thread_id) is not None:
            ctx.threads.update(thread_id, status="interrupted" if result.interrupt else "idle")
        return {"request_id": request_id, "status": status, "answer": result.answer, "thread_id": thread_id}

    return router


async def expire_overdue(ctx: WebContext) -> int:
    """Close the overdue requests of web conversations (:mod:`agent.gate.expiry`); returns how many.

    Only threads in the web's own thread table: Slack closes its threads' requests itself, with
    its messages updated. The thread's history then shows the expiry and the answer.
    """
    closed = 0
    for request in await asyncio.to_thread(ctx.service.overdue):
        thread_id = request.thread_id
        if not thread_id or thread_id in ctx.busy or ctx.threads.get(thread_id) is None:
            continue
        with ctx.lease(thread_id):
            result = await ctx.service.aexpire(request)
        if result is not None:
            closed += 1
            ctx.threads.set_status(thread_id, "interrupted" if result.interrupt else "idle")
    return closed
