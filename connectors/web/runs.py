"""Runs: a user's question or an approval decision, streamed back as server-sent events.

A resume (``command.resume``) carries a human-in-the-loop response in the shape LangChain's
agent-chat-ui sends (``{"decisions": [{"type": "approve" | "reject" | "edit", ...}]}``). It is
translated into an :class:`ApprovalDecision` whose approver is the authenticated caller, and
checked by the service before the graph resumes: a refused decision is an HTTP 403 and the
request stays pending.

Everything that can refuse a run (auth, ownership, limits, a bad body, a policy refusal, a
thread waiting for a decision) is decided before the response starts, so it comes back with its
real status code; only a failure of the graph itself, once running, is an ``error`` event.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import HTTPException
from langchain_core.messages import BaseMessage, BaseMessageChunk, convert_to_messages
from pydantic import BaseModel, ConfigDict, Field

from agent.events import MessageStreamed, StateUpdated, StateValues, ToolFinished, ToolStarted, TurnEvent
from agent.gate.policy import ApprovalDecision, ApprovalRequest
from agent.redact import redact_text
from agent.service import AwaitingApproval, DecisionRefused
from connectors.web import protocol
from connectors.web.bodies import WebBody
from connectors.web.context import MAX_QUESTION_CHARS, Lease, WebContext
from connectors.web.run_registry import RunRecord
from contract.principal import Principal

log = logging.getLogger(__name__)

ASSISTANT_ID = "agent"
ASSISTANT_UUID = str(uuid.uuid5(uuid.NAMESPACE_URL, "portal-agent/agent"))
KNOWN_MODES = {"values", "updates", "messages", "messages-tuple", "custom"}


class RunRequest(WebBody):
    """The body of ``POST /threads/{id}/runs/stream`` (fields we do not use are accepted and ignored)."""

    assistant_id: str = ASSISTANT_ID
    input: dict[str, Any] | None = None
    command: dict[str, Any] | None = None
    stream_mode: str | list[str] = "values"
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    if_not_exists: Literal["create", "reject"] | None = None
    multitask_strategy: str | None = None
    stream_subgraphs: bool = False
    on_disconnect: str | None = None

    def modes(self) -> set[str]:
        modes = {self.stream_mode} if isinstance(self.stream_mode, str) else set(self.stream_mode)
        return (modes & KNOWN_MODES) or {"values"}


class RunError(HTTPException):
    """A run refused before it starts: answered with ``status`` and ``{"detail": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(status_code=status, detail=message)

    def __str__(self) -> str:
        return str(self.detail)


class Decision(BaseModel):
    """One HITL decision; ``request_id`` and ``args_hash`` are optional extras our widget sends."""

    model_config = ConfigDict(extra="ignore")

    type: str
    message: str | None = None
    edited_action: dict[str, Any] | None = None
    args: Any = None
    request_id: str | None = None
    args_hash: str | None = None


# --- input ------------------------------------------------------------------------------------------
def question_from(run_input: dict[str, Any]) -> str:
    """The text of the one new human message; any other role is refused (no forged AI or tool turns)."""
    raw = run_input.get("messages")
    if raw is None:
        raise RunError(422, "input.messages is required")
    if isinstance(raw, dict | str):
        raw = [raw]
    try:
        messages = convert_to_messages(raw)
    except Exception as exc:
        raise RunError(422, f"input.messages: {exc}") from exc
    # agent-chat-ui may prepend placeholder tool messages for unanswered tool calls: they are
    # dropped (the graph's own tool results are the only ones that count); any other role is refused.
    if any(m.type not in ("human", "tool") for m in messages):
        raise RunError(422, "input.messages may only hold the user's message (no ai, system or other roles)")
    humans = [m for m in messages if m.type == "human"]
    if len(humans) != 1:
        raise RunError(422, "input.messages must hold exactly one human message")
    content = humans[0].content
    text = (
        content
        if isinstance(content, str)
        else " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    )
    text = text.strip()
    if not text:
        raise RunError(422, "the message is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise RunError(413, f"the message is longer than {MAX_QUESTION_CHARS} characters")
    return text


def decision_from(resume: Any, request: ApprovalRequest, approver: Principal) -> ApprovalDecision:
    """Translate a HITL response (or a bare decision) into our decision, approver = the caller."""
    if isinstance(resume, dict) and "decisions" in resume:
        decisions = resume["decisions"]
        if not isinstance(decisions, list) or len(decisions) != 1:
            raise RunError(422, "command.resume.decisions must hold exactly one decision")
        raw = decisions[0]
    elif isinstance(resume, list) and len(resume) == 1:
        raw = resume[0]  # the older agent-inbox shape: [{"type": "accept" | "ignore" | "edit", "args": …}]
    elif isinstance(resume, dict):
        raw = resume
    else:
        raise RunError(422, 'command.resume must be {"decisions": [{"type": "approve"|"reject"|"edit"}]}')
    try:
        parsed = Decision.model_validate(raw)
    except Exception as exc:
        raise RunError(422, f"command.resume: {exc}") from exc
    if parsed.request_id and parsed.request_id != request.id:
        raise RunError(409, f"the pending request on this thread is {request.id}, not {parsed.request_id}")
    kind = {"approve": "approve", "accept": "approve", "reject": "reject", "ignore": "reject", "edit": "edit"}.get(
        parsed.type
    )
    if kind is None:
        raise RunError(422, f"unknown decision type {parsed.type!r}; use approve, reject or edit")
    edited_args = None
    if kind == "edit":
        action = parsed.edited_action or (parsed.args if isinstance(parsed.args, dict) else None) or {}
        if action.get("name") not in (None, request.tool):
            raise RunError(422, f"an edit may change the arguments of {request.tool}, not the tool")
        edited_args = action.get("args", action.get("arguments"))
        if not isinstance(edited_args, dict):
            raise RunError(422, "an edit decision needs edited_action.args")
    comment = parsed.message or (parsed.args if isinstance(parsed.args, str) else None)
    return ApprovalDecision(
        request_id=request.id,
        decision=kind,
        approver=approver.ref,
        args_hash=parsed.args_hash or request.args_hash,
        edited_args=edited_args,
        comment=comment,
    )


async def prepare(
    ctx: WebContext, thread_id: str, body: RunRequest, principal: Principal
) -> tuple[AsyncIterator[TurnEvent], str | None]:
    """The run's events (not started yet) and the thread's title if it is a question; raises RunError."""
    mirror = mirrors(body.modes())
    if body.command is not None:
        if "resume" not in body.command:
            raise RunError(422, "only command.resume is supported")
        if body.input:  # agent-chat-ui resumes with ``submit({}, {command})``: an empty input is no input
            raise RunError(422, "a run takes either input or command, not both")
        pending = await ctx.service.apending_approval(thread_id)
        if pending is None:
            raise RunError(409, "nothing on this thread is waiting for a decision")
        decision = decision_from(body.command["resume"], pending, principal)
        try:
            request = await asyncio.to_thread(ctx.service.check_decision, decision, principal)
        except DecisionRefused as exc:
            raise RunError(403, str(exc)) from exc
        return ctx.service.aresume_events(request, decision, principal, mirror=mirror), None
    if body.input is None:
        raise RunError(422, "a run needs input (a human message) or command.resume")
    text = question_from(body.input)
    pending = await ctx.service.apending_approval(thread_id)
    if pending is not None:  # the graph would run past its interrupt and strand the request
        raise RunError(409, str(AwaitingApproval(pending)))
    return ctx.service.aevents(text, principal, thread_id, mirror=mirror), text[:80]


# --- streaming --------------------------------------------------------------------------------------


@dataclass
class RunFailed:
    """The run's graph raised: the stream ends with an ``error`` event."""

    error: Exception


def mirrors(modes: set[str]) -> set[str]:
    """The service's mirror events for the client's modes: ``updates`` always (interrupts come in it)."""
    out = {"updates"}
    if modes & {"messages", "messages-tuple"}:
        out.add("messages")
    if "values" in modes:
        out.add("values")
    return out


def interrupts_in(event: TurnEvent | RunFailed) -> Any:
    """The interrupts of a ``{"__interrupt__": …}`` update, else None."""
    return event.updates.get("__interrupt__") if isinstance(event, StateUpdated) else None


def start_graph(ctx: WebContext, events: AsyncIterator[TurnEvent], lease: Lease, run: RunRecord) -> RunRecord:
    """Run the turn in its own task, feeding ``run``'s log; it finishes even if the client goes away.

    A run is never cut half-way because a browser tab closed: an approved change completes and
    is checkpointed. At most ``ctx.run_slots`` graphs run at once; the rest wait their turn in
    order, which keeps a burst of conversations from thrashing the CPU and the checkpointer.
    The task owns the thread's ``lease`` and releases it when it ends, however it ends (a task
    cancelled before it ever ran included: its done-callback releases it too). Cancelling the
    task (``POST …/runs/{id}/cancel``) ends the run as ``interrupted``.
    """

    async def produce() -> None:
        status = "success"
        try:
            async with ctx.run_slots:
                run.status = "running"
                async for event in events:
                    if interrupts_in(event) is not None:
                        status = "interrupted"
                    await run.append(event)
        except asyncio.CancelledError:
            status = "interrupted"
            await run.append(RunFailed(RuntimeError("the run was cancelled")))
        except Exception as exc:
            status = "error"
            await run.append(RunFailed(exc))
        finally:
            lease.release()
            try:
                ctx.threads.set_status(run.thread_id, {"success": "idle"}.get(status, status))
            finally:
                await run.finish(status)

    task = asyncio.create_task(produce())
    run.task = task
    ctx.background.add(task)
    task.add_done_callback(ctx.background.discard)
    task.add_done_callback(lambda _: lease.release())
    lease.hand_off()
    return run


async def stream(run: RunRecord, modes: set[str]) -> AsyncIterator[str]:
    """SSE text for ``run`` (see :func:`start_graph`) from its start, in the client's modes."""
    status = "success"
    last_values: dict[str, Any] | None = None
    interrupts: list[dict[str, Any]] = []
    writer = EventWriter(modes, run.run_id, run.thread_id)
    yield protocol.sse("metadata", {"run_id": run.run_id, "attempt": 1})
    # Everything already produced goes out in one write: under load this saves a send per token.
    async for items in run.follow():
        out: list[str] = []
        for item in items:
            writer.write(item, out)
            found = interrupts_in(item)
            if found is not None:
                interrupts = protocol.jsonable(list(found))
            elif isinstance(item, StateValues):
                last_values = item.values
            elif isinstance(item, RunFailed):
                status = "error"
        if out:
            yield "".join(out)
    for message in writer.partial.values():
        yield protocol.sse("messages/complete", [protocol.full_message(message)])
    if interrupts and status != "error":
        status = "interrupted"
        if "values" in modes:
            yield protocol.sse("values", {**protocol.public_values(last_values), "__interrupt__": interrupts})
    yield protocol.sse("end", {"run_id": run.run_id, "status": status})


class EventWriter:
    """The SSE text of one run's stream, in the modes the client asked for.

    Per token this is the web path's only work, so it writes each event with one ``json.dumps``
    (no Python walk over the message first) and each model call's metadata once, not per token.
    """

    def __init__(self, modes: set[str], run_id: str, thread_id: str):
        self.run_id = run_id
        self.thread_id = thread_id
        self.tuples = "messages-tuple" in modes
        self.legacy = "messages" in modes
        self.updates = "updates" in modes
        self.custom = "custom" in modes
        self.partial: dict[str, BaseMessageChunk] = {}  # mode ``messages``: the chunks so far per message
        self.metadata = protocol.MetadataJSON()

    def write(self, item: TurnEvent | RunFailed, out: list[str]) -> None:
        """Append the SSE events for one event of the run to ``out`` (none for those it does not mirror)."""
        if isinstance(item, MessageStreamed):
            message, meta = item.message, item.metadata
            if self.tuples:
                out.append(f"event: messages\ndata: [{protocol.dumps(message)},{self.metadata(meta)}]\n\n")
            if self.legacy:
                out.extend(self._legacy(message, meta))
        elif isinstance(item, StateUpdated):
            if self.updates:
                out.append(protocol.sse("updates", item.updates))
        elif isinstance(item, StateValues):
            out.append(protocol.sse("values", protocol.public_values(item.values)))
        elif isinstance(item, ToolStarted):
            if self.custom:
                tool = {"type": "tool_start", "name": item.name, "args": item.args, "id": item.call_id}
                out.append(protocol.sse("custom", tool))
        elif isinstance(item, ToolFinished):
            if self.custom:
                tool = {"type": "tool_end", "name": item.name, "id": item.call_id, "ok": item.ok}
                out.append(protocol.sse("custom", tool))
        elif isinstance(item, RunFailed):
            error = item.error
            log.error("run %s on thread %s failed", self.run_id, self.thread_id, exc_info=error)
            out.append(protocol.sse("error", {"error": type(error).__name__, "message": redact_text(str(error))}))

    def _metadata_event(self, key: str, meta: dict[str, Any]) -> str:
        return f'event: messages/metadata\ndata: {{{protocol.dumps(key)}:{{"metadata":{self.metadata(meta)}}}}}\n\n'

    def _legacy(self, message: BaseMessage, meta: dict[str, Any]) -> list[str]:
        """Mode ``messages``: accumulated ``messages/partial`` and ``messages/complete`` events."""
        key = message.id or "unknown"
        partial = self.partial
        if not isinstance(message, BaseMessageChunk):
            return [self._metadata_event(key, meta), protocol.sse("messages/complete", [message])]
        out = []
        if key not in partial:
            out.append(self._metadata_event(key, meta))
            partial[key] = message
        else:
            partial[key] = partial[key] + message
        if getattr(message, "chunk_position", None) == "last":
            out.append(protocol.sse("messages/complete", [protocol.full_message(partial.pop(key))]))
        else:
            out.append(protocol.sse("messages/partial", [partial[key]]))
        return out


class RunCreated(BaseModel):
    run_id: str
    thread_id: str
    assistant_id: str = ASSISTANT_UUID
    status: str = "pending"
    metadata: dict[str, Any] = Field(default_factory=dict)
    multitask_strategy: str = "reject"
