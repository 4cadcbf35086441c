"""The subset of the LangGraph Agent Protocol that ``langgraph-sdk`` and agent-chat-ui use.

Threads belong to the caller who created them: another caller gets 404 for them, as if they did
not exist. One run at a time per thread (a second one gets 409, like ``multitask_strategy=reject``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from connectors.web import protocol
from connectors.web.context import WebContext
from connectors.web.runs import ASSISTANT_ID, ASSISTANT_UUID, RunError, RunRequest, error_stream, prepare, stream

log = logging.getLogger(__name__)

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class ThreadCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None


class ThreadSearch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, Any] | None = None
    status: str | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    sort_by: str = "updated_at"
    sort_order: str = "desc"


class HistoryRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(10, ge=1, le=1000)
    before: dict[str, Any] | str | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None


def _assistant() -> dict[str, Any]:
    return {
        "assistant_id": ASSISTANT_UUID,
        "graph_id": ASSISTANT_ID,
        "name": "portal-agent",
        "description": "The developer portal's assistant",
        "config": {},
        "context": {},
        "metadata": {},
        "version": 1,
        "created_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:00:00+00:00",
    }


def _check_assistant(assistant_id: str) -> None:
    if assistant_id not in (ASSISTANT_ID, ASSISTANT_UUID):
        raise HTTPException(status_code=404, detail=f"assistant {assistant_id} not found; use {ASSISTANT_ID!r}")


def build_router(ctx: WebContext) -> APIRouter:
    router = APIRouter(tags=["agent protocol"])
    service = ctx.service

    async def snapshot(thread_id: str):
        graph = await ctx.graph()
        return await graph.aget_state(service._config(thread_id))

    @router.get("/info")
    async def info() -> dict[str, Any]:
        return {
            "version": "portal-agent",
            "flags": {"assistants": True, "crons": False, "langsmith": False, "thread_ttl": False},
        }

    # --- assistants (one: the portal agent) ----------------------------------------------------
    @router.post("/assistants/search")
    async def assistants_search(body: dict[str, Any] = Body(default_factory=dict)) -> list[dict[str, Any]]:
        return [_assistant()]

    @router.get("/assistants/{assistant_id}")
    async def assistant_get(assistant_id: str) -> dict[str, Any]:
        _check_assistant(assistant_id)
        return _assistant()

    # --- threads -------------------------------------------------------------------------------
    @router.post("/threads")
    async def thread_create(request: Request, body: ThreadCreate = Body(default_factory=ThreadCreate)):
        principal = ctx.principal(request)
        thread_id = body.thread_id or str(uuid.uuid4())
        existing = ctx.threads.get(thread_id)
        if existing is not None:
            if existing.owner == principal.ref and body.if_exists == "do_nothing":
                return protocol.thread_json(existing, await snapshot(thread_id), busy=thread_id in ctx.busy)
            raise HTTPException(status_code=409, detail=f"thread {thread_id} already exists")
        metadata = {k: v for k, v in (body.metadata or {}).items() if k != "owner"}
        record = ctx.threads.create(thread_id, principal.ref, metadata)
        return protocol.thread_json(record)

    @router.get("/threads/{thread_id}")
    async def thread_get(thread_id: str, request: Request):
        record = ctx.owned_thread(thread_id, ctx.principal(request))
        return protocol.thread_json(record, await snapshot(thread_id), busy=thread_id in ctx.busy)

    @router.delete("/threads/{thread_id}", status_code=204)
    async def thread_delete(thread_id: str, request: Request):
        ctx.owned_thread(thread_id, ctx.principal(request))
        if thread_id in ctx.busy:
            raise HTTPException(status_code=409, detail="a run is in progress on this thread")
        graph = await ctx.graph()
        await graph.checkpointer.adelete_thread(thread_id)
        ctx.threads.delete(thread_id)

    @router.post("/threads/search")
    async def thread_search(request: Request, body: ThreadSearch = Body(default_factory=ThreadSearch)):
        principal = ctx.principal(request)
        if principal.is_anonymous:
            # Anonymous callers share one identity: no list, or one would see the others' threads.
            # They continue their own conversation by its id (an unguessable UUID the widget keeps).
            return []
        records = ctx.threads.search(
            principal.ref,
            metadata=body.metadata,
            status=body.status,
            limit=body.limit,
            offset=body.offset,
            sort_by=body.sort_by,
            sort_order=body.sort_order,
        )
        out = []
        for record in records:
            out.append(
                protocol.thread_json(record, await snapshot(record.thread_id), busy=record.thread_id in ctx.busy)
            )
        return out

    @router.get("/threads/{thread_id}/state")
    async def thread_state(thread_id: str, request: Request):
        ctx.owned_thread(thread_id, ctx.principal(request))
        return protocol.thread_state(await snapshot(thread_id))

    @router.post("/threads/{thread_id}/history")
    async def thread_history(
        thread_id: str, request: Request, body: HistoryRequest = Body(default_factory=HistoryRequest)
    ):
        ctx.owned_thread(thread_id, ctx.principal(request))
        graph = await ctx.graph()
        config = service._config(thread_id)
        before = None
        if isinstance(body.before, dict):
            before = {
                "configurable": {
                    "thread_id": thread_id,
                    **{k: v for k, v in body.before.items() if k in ("checkpoint_id", "checkpoint_ns")},
                }
            }
        elif isinstance(body.before, str):
            before = {"configurable": {"thread_id": thread_id, "checkpoint_id": body.before}}
        states = []
        async for state in graph.aget_state_history(
            config, limit=body.limit, before=before, filter=body.metadata or None
        ):
            states.append(protocol.thread_state(state))
        return states

    # --- runs ----------------------------------------------------------------------------------
    async def start_run(thread_id: str, request: Request, body: RunRequest) -> tuple[str, Any, set[str]]:
        principal = ctx.principal(request)
        _check_assistant(body.assistant_id)
        record = ctx.threads.get(thread_id)
        if record is None and body.if_not_exists == "create":
            record = ctx.threads.create(thread_id, principal.ref, {})
        if record is None or record.owner != principal.ref:
            raise HTTPException(status_code=404, detail=f"thread {thread_id} not found")
        ctx.rate_limit(request, principal)
        if thread_id in ctx.busy:
            raise HTTPException(status_code=409, detail="a run is already in progress on this thread")
        ctx.busy.add(thread_id)
        try:
            payload, title = await prepare(ctx, thread_id, body, principal)
        except BaseException:
            ctx.busy.discard(thread_id)
            raise
        ctx.threads.update(
            thread_id,
            status="busy",
            title=title,
            metadata={
                "graph_id": ASSISTANT_ID,
                "assistant_id": ASSISTANT_UUID,
                **({"title": title} if title and not record.title else {}),
            },
            record=record,  # read above; the run's preparation does not change it
        )
        return str(uuid.uuid4()), payload, body.modes()

    @router.post(
        "/threads/{thread_id}/runs/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def run_stream(thread_id: str, request: Request, body: RunRequest):
        """Start a run and stream it (SSE). Resume an approval with ``command.resume``."""
        try:
            run_id, payload, modes = await start_run(thread_id, request, body)
        except RunError as exc:
            return StreamingResponse(
                error_stream(str(uuid.uuid4()), exc), media_type="text/event-stream", headers=SSE_HEADERS
            )
        headers = {**SSE_HEADERS, "Content-Location": f"/threads/{thread_id}/runs/{run_id}"}
        return StreamingResponse(
            stream(ctx, thread_id, payload, modes, run_id), media_type="text/event-stream", headers=headers
        )

    @router.post("/threads/{thread_id}/runs/wait")
    async def run_wait(thread_id: str, request: Request, body: RunRequest):
        """Run to the end (or to an approval) and return the final values."""
        try:
            run_id, payload, _ = await start_run(thread_id, request, body)
        except RunError as exc:
            return JSONResponse({"error": exc.kind, "message": str(exc)}, status_code=exc.status)
        error = None
        async for part in stream(ctx, thread_id, payload, {"values"}, run_id):
            if part.startswith("event: error"):
                error = part
        if error:
            return JSONResponse(
                {"error": "RunFailed", "message": error.split("data: ", 1)[-1].strip()}, status_code=500
            )
        state = await snapshot(thread_id)
        values = protocol.public_values(state.values)
        interrupts = protocol.interrupts_of(state)
        return {**values, **({"__interrupt__": interrupts} if interrupts else {})}

    return router


async def warm_up(ctx: WebContext) -> None:
    """Build the graph, the catalog and the planner's router before the first user waits for them."""
    service = ctx.service
    await ctx.graph()

    def _warm() -> None:
        _ = service.runtime.catalog
        model = service.model
        router = getattr(model, "router", None)
        if router is not None:
            router.rank("who owns this?", allow_semantic=False)
            # Load the embedding model now, once, under its lock: importing torch from two threads
            # at once (a first semantic routing and the docs indexer) fails inside torch.
            try:
                from agent.planner import embeddings

                embeddings.load_model()
            except Exception:
                log.exception("the embedding model could not be loaded; routing stays lexical")

    await asyncio.to_thread(_warm)
