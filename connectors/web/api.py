"""The subset of the LangGraph Agent Protocol that ``langgraph-sdk`` and agent-chat-ui use.

Threads belong to the caller who created them on the web: to anyone else they answer 404, as
if they did not exist, and so does every conversation that began elsewhere (the CLI, Slack),
which has checkpoints but no web owner: it can be neither read nor adopted here. A caller may
choose a new thread's id only as a UUID, and anonymous visitors may not choose one at all. One
run at a time per thread (a second one gets 409, like ``multitask_strategy=reject``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, field_validator

from agent.redact import redact_text
from connectors.web import protocol
from connectors.web.bodies import WebBody, check_metadata_filter, check_thread_id
from connectors.web.context import WebContext
from connectors.web.run_registry import RunRecord
from connectors.web.runs import (
    ASSISTANT_ID,
    ASSISTANT_UUID,
    RunError,
    RunFailed,
    RunRequest,
    prepare,
    start_graph,
    stream,
)
from connectors.web.threads import ThreadRecord

log = logging.getLogger(__name__)

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
ANONYMOUS_IDS = "anonymous visitors get server-issued thread ids: create one with POST /threads and no thread_id"


class ThreadCreate(WebBody):
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None

    @field_validator("thread_id")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        return value if value is None else check_thread_id(value)


class ThreadSearch(WebBody):
    metadata: dict[str, Any] | None = None
    status: str | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    sort_by: str = "updated_at"
    sort_order: str = "desc"


class FeedbackBody(WebBody):
    rating: Literal["good", "bad"]
    turn: int | None = Field(None, ge=1, description="Which question of the conversation (1 = the first)")
    comment: str | None = Field(None, max_length=2000)


class CheckpointRef(BaseModel):
    """``before`` as the SDK sends it: a checkpoint of this thread (other fields are ignored)."""

    checkpoint_id: str | None = None
    checkpoint_ns: str | None = None


class HistoryRequest(WebBody):
    limit: int = Field(10, ge=1, le=1000)
    before: CheckpointRef | str | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None

    @field_validator("metadata")
    @classmethod
    def _filter(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return check_metadata_filter(value)


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


def _not_found(thread_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"thread {thread_id} not found")


def build_router(ctx: WebContext) -> APIRouter:
    router = APIRouter(tags=["agent protocol"])
    service = ctx.service

    async def new_thread(thread_id: str, owner: str, metadata: dict[str, Any]) -> ThreadRecord:
        """A new web thread of ``owner``; 404 if the id is a conversation already, here or elsewhere."""
        if await service.athread_exists(thread_id):
            raise _not_found(thread_id)  # a CLI or Slack conversation: nobody's to adopt on the web
        record = ctx.threads.create(thread_id, owner, metadata)
        if record is None:  # created by someone else a moment ago
            raise _not_found(thread_id)
        return record

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
        principal = ctx.limit_reads(request)
        owner = ctx.owner(request)
        metadata = {k: v for k, v in (body.metadata or {}).items() if k != "owner"}
        if body.thread_id is None:
            return protocol.thread_json(await new_thread(str(uuid.uuid4()), owner, metadata))
        if principal.is_anonymous:
            raise HTTPException(status_code=403, detail=ANONYMOUS_IDS)
        existing = ctx.threads.get(body.thread_id)
        if existing is None:
            return protocol.thread_json(await new_thread(body.thread_id, owner, metadata))
        if existing.owner != owner:
            raise _not_found(body.thread_id)
        if body.if_exists != "do_nothing":
            raise HTTPException(status_code=409, detail=f"thread {body.thread_id} already exists")
        thread_id = existing.thread_id
        return protocol.thread_json(existing, await service.athread_state(thread_id), busy=thread_id in ctx.busy)

    @router.get("/threads/{thread_id}")
    async def thread_get(thread_id: str, request: Request):
        ctx.limit_reads(request)
        record = ctx.owned_thread(thread_id, request)
        return protocol.thread_json(record, await service.athread_state(thread_id), busy=thread_id in ctx.busy)

    @router.delete("/threads/{thread_id}", status_code=204)
    async def thread_delete(thread_id: str, request: Request):
        ctx.limit_reads(request)
        ctx.owned_thread(thread_id, request)
        with ctx.lease(thread_id):
            await service.adelete_thread(thread_id)
            ctx.threads.delete(thread_id)

    @router.post("/threads/search")
    async def thread_search(request: Request, body: ThreadSearch = Body(default_factory=ThreadSearch)):
        ctx.limit_reads(request)
        records = ctx.threads.search(
            ctx.owner(request),
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
                protocol.thread_json(
                    record, await service.athread_state(record.thread_id), busy=record.thread_id in ctx.busy
                )
            )
        return out

    @router.get("/threads/{thread_id}/state")
    async def thread_state(thread_id: str, request: Request):
        ctx.limit_reads(request)
        ctx.owned_thread(thread_id, request)
        return protocol.thread_state(await service.athread_state(thread_id))

    @router.post("/threads/{thread_id}/history")
    async def thread_history(
        thread_id: str, request: Request, body: HistoryRequest = Body(default_factory=HistoryRequest)
    ):
        ctx.limit_reads(request)
        ctx.owned_thread(thread_id, request)
        before = None
        if isinstance(body.before, CheckpointRef):
            before = body.before.model_dump(exclude_none=True)
        elif isinstance(body.before, str):
            before = {"checkpoint_id": body.before}
        states = []
        async for state in service.athread_history(thread_id, limit=body.limit, before=before, metadata=body.metadata):
            states.append(protocol.thread_state(state))
        return states

    @router.post("/threads/{thread_id}/feedback")
    async def thread_feedback(thread_id: str, request: Request, body: FeedbackBody):
        """A thumbs up or down on one of the conversation's answers (default: the latest)."""
        ctx.limit_reads(request)
        ctx.owned_thread(thread_id, request)
        try:
            turn = await service.afeedback(
                thread_id, body.rating, ctx.principal(request), turn=body.turn, comment=body.comment
            )
        except LookupError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        return {"thread_id": thread_id, "turn": turn.number, "rating": body.rating}

    # --- runs ----------------------------------------------------------------------------------
    async def run_thread(thread_id: str, request: Request, body: RunRequest) -> ThreadRecord:
        """The caller's thread to run on, created if asked and free; 404 for anyone else's."""
        principal = ctx.principal(request)
        owner = ctx.owner(request)
        record = ctx.threads.get(thread_id)
        if record is not None and record.owner == owner:
            return record
        if body.if_not_exists != "create":
            raise _not_found(thread_id)
        if principal.is_anonymous:  # whether the id exists or not: no oracle
            raise HTTPException(status_code=403, detail=ANONYMOUS_IDS)
        if record is not None:
            raise _not_found(thread_id)
        try:
            check_thread_id(thread_id)
        except ValueError as exc:
            raise RunError(422, str(exc)) from exc
        return await new_thread(thread_id, owner, {})

    async def start_run(thread_id: str, request: Request, body: RunRequest) -> tuple[RunRecord, set[str]]:
        """Check, prepare and start the run; every refusal is raised here, before any response."""
        principal = ctx.limit_runs(request)
        _check_assistant(body.assistant_id)
        record = await run_thread(thread_id, request, body)
        modes = body.modes()
        with ctx.lease(thread_id) as lease:
            events, title = await prepare(ctx, thread_id, body, principal)
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
            run = ctx.runs.add(
                RunRecord(
                    run_id=str(uuid.uuid4()),
                    thread_id=thread_id,
                    owner=ctx.owner(request),
                    assistant_id=ASSISTANT_UUID,
                    metadata=body.metadata or {},
                )
            )
            start_graph(ctx, events, lease, run)
        return run, modes

    @router.post(
        "/threads/{thread_id}/runs/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def run_stream(thread_id: str, request: Request, body: RunRequest):
        """Start a run and stream it (SSE). Resume an approval with ``command.resume``."""
        run, modes = await start_run(thread_id, request, body)
        headers = {**SSE_HEADERS, "Content-Location": f"/threads/{thread_id}/runs/{run.run_id}"}
        events = stream(run, modes)
        if body.on_disconnect == "cancel":
            events = cancel_when_left(events, run)
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)

    @router.post("/threads/{thread_id}/runs")
    async def run_create(thread_id: str, request: Request, body: RunRequest):
        """Start a run in the background; follow it with ``…/stream``, ``…/join`` or cancel it."""
        run, _ = await start_run(thread_id, request, body)
        return run.json()

    @router.post("/threads/{thread_id}/runs/wait")
    async def run_wait(thread_id: str, request: Request, body: RunRequest):
        """Run to the end (or to an approval) and return the final values."""
        run, _ = await start_run(thread_id, request, body)
        return await final_values(run)

    async def final_values(run: RunRecord):
        await run.wait()
        failed = next((item for item in run.items if isinstance(item, RunFailed)), None)
        if failed is not None and run.status == "error":
            return JSONResponse({"error": "RunFailed", "message": redact_text(str(failed.error))}, status_code=500)
        state = await service.athread_state(run.thread_id)
        values = protocol.public_values(state.values)
        interrupts = protocol.interrupts_of(state)
        return {**values, **({"__interrupt__": interrupts} if interrupts else {})}

    def owned_run(thread_id: str, run_id: str, request: Request) -> RunRecord:
        ctx.limit_reads(request)
        ctx.owned_thread(thread_id, request)
        run = ctx.runs.get(thread_id, run_id, ctx.owner(request))
        if run is None:
            raise HTTPException(status_code=404, detail=f"run {run_id} not found on thread {thread_id}")
        return run

    @router.get("/threads/{thread_id}/runs")
    async def run_list(thread_id: str, request: Request):
        ctx.limit_reads(request)
        ctx.owned_thread(thread_id, request)
        return [run.json() for run in ctx.runs.of_thread(thread_id, ctx.owner(request))]

    @router.get("/threads/{thread_id}/runs/{run_id}")
    async def run_get(thread_id: str, run_id: str, request: Request):
        return owned_run(thread_id, run_id, request).json()

    @router.get("/threads/{thread_id}/runs/{run_id}/join")
    async def run_join(thread_id: str, run_id: str, request: Request):
        """Wait for the run to end; the thread's values then (as ``runs/wait`` returns them)."""
        return await final_values(owned_run(thread_id, run_id, request))

    @router.get(
        "/threads/{thread_id}/runs/{run_id}/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def run_join_stream(
        thread_id: str, run_id: str, request: Request, stream_mode: list[str] | None = Query(None)
    ):
        """Join a run's stream, from its start (a reconnecting client loses nothing)."""
        run = owned_run(thread_id, run_id, request)
        modes = RunRequest(stream_mode=stream_mode or ["values"]).modes()
        return StreamingResponse(stream(run, modes), media_type="text/event-stream", headers=SSE_HEADERS)

    @router.post("/threads/{thread_id}/runs/{run_id}/cancel")
    async def run_cancel(thread_id: str, run_id: str, request: Request, wait: bool = False):
        """Stop a run (the page's stop button): it ends ``interrupted``; what it already did stays done."""
        run = owned_run(thread_id, run_id, request)
        if not run.done and run.task is not None:
            run.task.cancel()
            if wait:
                await run.wait()
        return run.json()

    return router


async def cancel_when_left(events: AsyncIterator[str], run: RunRecord) -> AsyncIterator[str]:
    """``on_disconnect="cancel"``: a client that leaves before the end stops the run.

    agent-chat-ui's stop button only aborts its request (the SDK sends this mode when it cannot
    rejoin), so without it the run would go on and still write its answer to the thread.
    """
    finished = False
    try:
        async for chunk in events:
            yield chunk
        finished = True
    finally:
        if not finished and not run.done and run.task is not None:
            run.task.cancel()


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
                from contract import embeddings

                embeddings.load_model()
            except Exception:
                log.exception("the embedding model could not be loaded; routing stays lexical")

    await asyncio.to_thread(_warm)
