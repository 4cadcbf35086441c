"""The one entry point connectors use: ask, stream, decide — for the CLI, Slack and the web.

It owns the compiled graph and its SQLite checkpointer (one LangGraph thread per conversation),
resolves principals against the catalog, and has the approval gate (:mod:`agent.gate.gate`) check
decisions before resuming a graph, so that an unauthorized click leaves the request pending for
someone else and two simultaneous clicks decide it once. It is also where "this conversation
waits for a decision" is answered for every connector (:meth:`AgentService.pending_approval`), and
where a run a crash cut short is finished at start-up (:meth:`AgentService.recover_interrupted`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.types import Command, StateSnapshot
from pydantic import BaseModel, Field

from agent.checkpoints import PostgresCheckpointer, SqliteCheckpointer, open_checkpointer
from agent.event_stream import EventStream, attachments_in, citations_in
from agent.events import Finished, Token, TurnEvent
from agent.feedback import Turn, feedback_store, turns_of
from agent.gate.expiry import EXPIRY_PRINCIPAL
from agent.gate.gate import DecisionRefused, Gate, pending_interrupt, resume_payload
from agent.gate.policy import ApprovalDecision, ApprovalRequest
from agent.gate.store import StoredApproval
from agent.graph import DIRECT_CALL, build_graph, tool_calls_of
from agent.identity import resolve_principal
from agent.redact import redact_text
from agent.runtime import Runtime
from agent.storage.run_lock import RunLocks
from agent.telemetry.turns import TurnTelemetry
from contract.principal import Principal

log = logging.getLogger(__name__)

RECURSION_LIMIT = 40


class TurnResult(BaseModel):
    answer: str
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    thread_id: str
    interrupt: dict[str, Any] | None = None
    refs: list[str] = Field(default_factory=list)


class AwaitingApproval(DecisionRefused):
    """New input on a conversation stopped at an approval: the request must be decided first.

    Running the input would carry the graph past its interrupt and strand the request, so the
    service refuses it for every connector. ``request`` is the request the thread waits on.
    """

    def __init__(self, request: ApprovalRequest):
        self.request = request
        super().__init__(
            f"this conversation is waiting for a decision on request {request.id} ({request.action} on "
            f"{request.target}); decide it first, or start a new conversation"
        )


class AgentService:
    def __init__(self, runtime: Runtime, *, model: BaseChatModel | None = None):
        self.runtime = runtime
        self._model = model
        self.gate = Gate.for_runtime(runtime)
        self._graph = None
        self._checkpointer: SqliteCheckpointer | PostgresCheckpointer | None = None
        self._graph_lock = threading.Lock()
        self.db_path = runtime.data_dir / "checkpoints.sqlite"
        self.runs = RunLocks(runtime.settings.database_url)  # one run per conversation, across replicas

    # --- graph ---------------------------------------------------------------------------------
    @property
    def model(self) -> BaseChatModel:
        if self._model is None:
            from agent.model import create_model

            self._model = create_model(self.runtime)
        return self._model

    @property
    def graph(self):
        """The compiled graph, built once; the same one serves sync and async callers."""
        with self._graph_lock:
            if self._graph is None:
                self._checkpointer = open_checkpointer(self.runtime.settings.database_url, self.db_path)
                self._graph = build_graph(self.runtime, self.model, checkpointer=self._checkpointer, gate=self.gate)
            return self._graph

    async def agraph(self):
        """The graph for async callers: its first build (tools, catalog) runs off the event loop."""
        if self._graph is None:
            return await asyncio.to_thread(lambda: self.graph)
        return self._graph

    def close(self) -> None:
        with self._graph_lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
                self._graph = None
        self.runs.close()

    async def aclose(self) -> None:
        self.close()

    # --- identity ------------------------------------------------------------------------------
    def principal(self, ref: str | None = None, *, email: str | None = None, via: str = "cli") -> Principal:
        """A principal resolved against the catalog; people it does not know are read-only.

        Raises :class:`agent.identity.NotAUser` when ``ref`` names a group or any other non-User.
        """
        return resolve_principal(self.runtime.catalog, ref, email=email, via=via)

    # --- turns ---------------------------------------------------------------------------------
    @staticmethod
    def _config(thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}

    @staticmethod
    def _input(text: str, principal: Principal) -> dict[str, Any]:
        return {"messages": [HumanMessage(content=text)], "principal": principal.model_dump()}

    def ask(self, text: str, principal: Principal, thread_id: str | None = None) -> TurnResult:
        """One turn; raises :class:`AwaitingApproval` while the conversation waits for a decision."""
        thread_id = thread_id or new_thread_id()
        _refuse_while(self.pending_approval(thread_id))
        before = self._message_count(thread_id)
        with self.runs.hold(thread_id), TurnTelemetry(self.runtime, "question", thread_id) as turn:
            self.graph.invoke(self._input(text, principal), self._config(thread_id))
            snapshot = _observed(turn, self.graph.get_state(self._config(thread_id)), before)
        return _turn_result(snapshot, thread_id, before)

    def stream(self, text: str, principal: Principal, thread_id: str | None = None) -> Iterator[tuple[str, Any]]:
        """(mode, payload) pairs: ``messages`` token chunks, ``custom`` tool events, ``updates``."""
        thread_id = thread_id or new_thread_id()
        _refuse_while(self.pending_approval(thread_id))
        with self.runs.hold(thread_id):
            yield from self.graph.stream(
                self._input(text, principal), self._config(thread_id), stream_mode=["messages", "custom", "updates"]
            )

    async def astream(
        self, payload: dict[str, Any] | Command | None, thread_id: str, stream_mode: list[str] | None = None
    ) -> AsyncIterator[tuple[str, Any]]:
        """Stream a run: new input (refused while an approval is pending), a checked resume, or None."""
        graph = await self.agraph()
        if payload is not None and not (isinstance(payload, Command) and payload.resume is not None):
            _refuse_while(await self.apending_approval(thread_id))
        async with self.runs.ahold(thread_id):
            async for item in graph.astream(
                payload, self._config(thread_id), stream_mode=stream_mode or ["messages", "custom", "updates"]
            ):
                yield item

    async def aask(self, text: str, principal: Principal, thread_id: str | None = None) -> TurnResult:
        thread_id = thread_id or new_thread_id()
        graph = await self.agraph()
        _refuse_while(await self.apending_approval(thread_id))
        before = len((await graph.aget_state(self._config(thread_id))).values.get("messages", []))
        async with self.runs.ahold(thread_id):
            with TurnTelemetry(self.runtime, "question", thread_id) as turn:
                await graph.ainvoke(self._input(text, principal), self._config(thread_id))
                snapshot = _observed(turn, await graph.aget_state(self._config(thread_id)), before)
        return _turn_result(snapshot, thread_id, before)

    async def arequest_call(
        self, tool: str, args: dict[str, Any], principal: Principal, thread_id: str, *, why: str
    ) -> TurnResult:
        """One tool call asked for outside a chat (an MCP client), as if the model had made it.

        The call enters the graph right after the model node, so it meets exactly what a chat's
        call meets: a mutating call stops at the approval gate (stored, audited, decidable in Slack,
        the web or the CLI, executed once when approved); nothing here can run it directly.
        """
        if tool not in self.runtime.tools:
            raise KeyError(f"no tool {tool!r}")
        graph = await self.agraph()
        config = self._config(thread_id)
        _refuse_while(await self.apending_approval(thread_id))
        before = len((await graph.aget_state(config)).values.get("messages", []))
        call = AIMessage(
            content="",
            tool_calls=[{"name": tool, "args": args, "id": f"call_{new_thread_id()}", "type": "tool_call"}],
            additional_kwargs={DIRECT_CALL: True},
        )
        update = {"messages": [HumanMessage(content=why), call], "principal": principal.model_dump()}
        async with self.runs.ahold(thread_id):
            await graph.aupdate_state(config, update, as_node="agent")
            await graph.ainvoke(None, config)
        return _turn_result(await graph.aget_state(config), thread_id, before)

    async def afeedback(
        self, thread_id: str, rating: str, principal: Principal, *, turn: int | None = None, comment: str | None = None
    ) -> Turn:
        """Record a thumbs up or down on a turn of the conversation (default: its latest answer).

        What was asked, answered and called comes from the checkpointed conversation, not from the
        client; raises ``LookupError`` when the conversation has no such answered turn.
        """
        state = await self.athread_state(thread_id)
        turns = [t for t in turns_of(state.values.get("messages", [])) if t.answer]
        chosen = next((t for t in turns if t.number == turn), None) if turn else (turns[-1] if turns else None)
        if chosen is None:
            raise LookupError(f"conversation {thread_id} has no answered turn {turn or ''}".strip())
        feedback_store(self.runtime).record(
            thread_id, chosen, "bad" if rating == "bad" else "good", principal.ref, principal.via, comment
        )
        return chosen

    def turn_count(self, thread_id: str) -> int:
        """How many questions the conversation has had (a feedback button names its turn by this)."""
        state = self.graph.get_state(self._config(thread_id))
        return len(turns_of(state.values.get("messages", [])))

    # --- turns as typed events (what connectors render: agent.events) -------------------------
    def events(self, text: str, principal: Principal, thread_id: str) -> Iterator[TurnEvent]:
        """One turn as typed events ending with :class:`Finished`; refused like :meth:`ask`."""
        _refuse_while(self.pending_approval(thread_id))
        config = self._config(thread_id)
        before = self._message_count(thread_id)
        translate = EventStream()
        with self.runs.hold(thread_id), TurnTelemetry(self.runtime, "question", thread_id) as turn:
            for event in translate.events_of(
                self.graph.stream(self._input(text, principal), config, stream_mode=translate.modes)
            ):
                if isinstance(event, Token):
                    turn.token()
                yield event
            snapshot = _observed(turn, self.graph.get_state(config), before)
        yield _finished(snapshot, thread_id, before)

    async def aevents(
        self, text: str, principal: Principal, thread_id: str, *, mirror: Collection[str] = ()
    ) -> AsyncIterator[TurnEvent]:
        """One turn as typed events; ``mirror`` adds the Agent Protocol's (:data:`agent.events.MIRRORS`).

        Refused with :class:`AwaitingApproval` while the conversation waits for a decision.
        """
        _refuse_while(await self.apending_approval(thread_id))
        async for event in self._arun(self._input(text, principal), thread_id, mirror):
            yield event

    async def aresume_events(
        self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal, *, mirror: Collection[str] = ()
    ) -> AsyncIterator[TurnEvent]:
        """The conversation resumed on a decision :meth:`check_decision` accepted, as typed events."""
        try:
            resume = Command(resume=resume_payload(decision, approver))
            async for event in self._arun(resume, request.thread_id, mirror):
                yield event
        finally:  # a run that failed before the gate recorded the decision leaves it decidable again
            self.gate.release(request.id)

    async def aexpire_events(self, request: ApprovalRequest) -> AsyncIterator[TurnEvent]:
        """:meth:`aexpire` as typed events: none when the request is not overdue or was claimed meanwhile."""
        decision = self.gate.claim_expiry(request, self._state)
        if decision is not None:
            async for event in self.aresume_events(request, decision, EXPIRY_PRINCIPAL):
                yield event

    async def _arun(
        self, payload: dict[str, Any] | Command, thread_id: str, mirror: Collection[str]
    ) -> AsyncIterator[TurnEvent]:
        graph = await self.agraph()
        config = self._config(thread_id)
        before = len((await graph.aget_state(config)).values.get("messages", []))
        translate = EventStream(mirror)
        kind = "decision" if isinstance(payload, Command) else "question"
        async with self.runs.ahold(thread_id):
            with TurnTelemetry(self.runtime, kind, thread_id) as turn:
                stream = graph.astream(payload, config, stream_mode=translate.modes, **_durability(payload))
                async for event in translate.aevents_of(stream):
                    if isinstance(event, Token):
                        turn.token()
                    yield event
                snapshot = _observed(turn, await graph.aget_state(config), before)
        yield _finished(snapshot, thread_id, before)

    # --- conversations as checkpointed (the web's Agent Protocol reads them) -------------------
    async def athread_state(self, thread_id: str) -> StateSnapshot:
        """The conversation's latest checkpoint (empty values for one that never ran)."""
        graph = await self.agraph()
        return await graph.aget_state(self._config(thread_id))

    async def athread_exists(self, thread_id: str) -> bool:
        """Whether the conversation has any checkpoint, whichever connector it began in."""
        graph = await self.agraph()
        return await graph.checkpointer.aget_tuple(self._config(thread_id)) is not None

    async def athread_history(
        self,
        thread_id: str,
        *,
        limit: int,
        before: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """The conversation's checkpoints, newest first; ``before`` names a checkpoint of it."""
        graph = await self.agraph()
        before_config = None if before is None else {"configurable": {"thread_id": thread_id, **before}}
        async for state in graph.aget_state_history(
            self._config(thread_id), limit=limit, before=before_config, filter=metadata or None
        ):
            yield state

    async def adelete_thread(self, thread_id: str) -> None:
        """Forget the conversation's checkpoints."""
        graph = await self.agraph()
        await graph.checkpointer.adelete_thread(thread_id)

    # --- is a conversation waiting? ------------------------------------------------------------
    def pending_approval(self, thread_id: str) -> ApprovalRequest | None:
        """The request this conversation waits on before it may take new input, or None.

        The one answer to "is this thread waiting for an approval?" for every connector, given by
        the gate (:meth:`Gate.pending`). A request that no longer needs anyone does not hold the
        thread: one past its expiry is closed here (recorded as expired, nothing runs), and a run a
        crash cut short after its decision is finished first (:meth:`recover`) once the process
        that ran it is gone.
        """
        pending = self.gate.pending(self._state(thread_id))
        if pending.first == "expire":
            self.expire(pending.request)
        elif pending.first == "recover":
            self.recover(thread_id)
        else:
            return pending.request
        return self.gate.pending(self._state(thread_id)).request

    async def apending_approval(self, thread_id: str) -> ApprovalRequest | None:
        graph = await self.agraph()
        config = self._config(thread_id)
        pending = self.gate.pending(await graph.aget_state(config))
        if pending.first == "expire":
            await self.aexpire(pending.request)
        elif pending.first == "recover":
            await asyncio.to_thread(self.recover, thread_id)
        else:
            return pending.request
        return self.gate.pending(await graph.aget_state(config)).request

    def _state(self, thread_id: str) -> StateSnapshot:
        """The conversation's checkpoint, which the gate reads to know what it waits on."""
        return self.graph.get_state(self._config(thread_id))

    # --- approvals -----------------------------------------------------------------------------
    def approval(self, request_id: str) -> StoredApproval | None:
        """One approval request as stored: the request, where it stands, the decision and result."""
        return self.gate.store.row(request_id)

    def approval_outcome(self, request_id: str) -> dict[str, Any] | None:
        """The recorded result of an approved action once it ran (None before, or if it never did)."""
        return self.gate.outcome(request_id)

    def check_decision(self, decision: ApprovalDecision, approver: Principal) -> ApprovalRequest:
        """Raise :class:`DecisionRefused` unless ``decision`` may resume its graph now; claims it if so."""
        return self.gate.check_decision(decision, approver, self._state)

    def decide(self, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        request = self.check_decision(decision, approver)
        return self._resume(request, decision, approver)

    async def adecide(self, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        request = self.check_decision(decision, approver)
        return await self._aresume(request, decision, approver)

    def overdue(self) -> list[ApprovalRequest]:
        """Requests past their expiry that nobody decided (see :mod:`agent.gate.expiry`)."""
        return self.gate.overdue()

    def expire(self, request: ApprovalRequest) -> TurnResult | None:
        """Close an overdue request: recorded as expired, nothing runs, the conversation is answered.

        None when the request is not overdue or was claimed by a decision meanwhile.
        """
        decision = self.gate.claim_expiry(request, self._state)
        return self._resume(request, decision, EXPIRY_PRINCIPAL) if decision else None

    async def aexpire(self, request: ApprovalRequest) -> TurnResult | None:
        decision = self.gate.claim_expiry(request, self._state)
        return await self._aresume(request, decision, EXPIRY_PRINCIPAL) if decision else None

    def _resume(self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        before = self._message_count(request.thread_id)
        config = self._config(request.thread_id)
        try:
            with self.runs.hold(request.thread_id), TurnTelemetry(self.runtime, "decision", request.thread_id) as turn:
                self.graph.invoke(Command(resume=resume_payload(decision, approver)), config, durability="sync")
                snapshot = _observed(turn, self.graph.get_state(config), before)
        finally:
            self.gate.release(request.id)
        return _turn_result(snapshot, request.thread_id, before)

    async def _aresume(self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        graph = await self.agraph()
        config = self._config(request.thread_id)
        before = len((await graph.aget_state(config)).values.get("messages", []))
        try:
            async with self.runs.ahold(request.thread_id):
                with TurnTelemetry(self.runtime, "decision", request.thread_id) as turn:
                    await graph.ainvoke(Command(resume=resume_payload(decision, approver)), config)
                    snapshot = _observed(turn, await graph.aget_state(config), before)
        finally:
            self.gate.release(request.id)
        return _turn_result(snapshot, request.thread_id, before)

    # --- recovery after a crash ----------------------------------------------------------------
    def recover(self, thread_id: str) -> TurnResult | None:
        """Finish a run that a crash cut short; None if there is none (or it waits for a decision).

        A decision the gate recorded before the crash is applied again from the store (and not
        audited twice); an approved action runs once; one whose run was cut short is recorded as
        outcome unknown, and the conversation is told to check the target.
        """
        snapshot = self._state(thread_id)
        recovery = self.gate.recovery(snapshot)
        if recovery is None:
            return None
        before = len(snapshot.values.get("messages", []))
        with self.runs.hold(thread_id), TurnTelemetry(self.runtime, "recovery", thread_id) as turn:
            self.graph.invoke(recovery.input, self._config(thread_id), durability="sync")
            snapshot = _observed(turn, self._state(thread_id), before)
        return _turn_result(snapshot, thread_id, before)

    def recover_interrupted(self, owns: Callable[[str], bool] = lambda thread_id: True) -> list[TurnResult]:
        """At start-up: finish the approved actions a killed process left behind, in the conversations
        ``owns`` accepts (each connector recovers its own, so it can tell them).

        Only requests whose claiming process is gone are touched: a process started next to a live
        one leaves that one's work alone.
        """
        results = []
        for thread_id in self.gate.interrupted_threads(owns):
            try:
                result = self.recover(thread_id)
            except Exception:
                log.exception("recovering conversation %s failed", thread_id)
                continue
            if result is not None:
                results.append(result)
        return results

    def pending_for(self, approver: Principal) -> list[ApprovalRequest]:
        """Pending requests this person may decide (the web's /approvals page)."""
        return self.gate.pending_for(approver)

    # --- results -------------------------------------------------------------------------------
    def _message_count(self, thread_id: str) -> int:
        return len(self.graph.get_state(self._config(thread_id)).values.get("messages", []))

    def turn_result(self, thread_id: str, before: int) -> TurnResult:
        """The result of the turn whose messages start at index ``before`` of the thread."""
        return _turn_result(self.graph.get_state(self._config(thread_id)), thread_id, before)

    async def aturn_result(self, thread_id: str, before: int) -> TurnResult:
        graph = await self.agraph()
        return _turn_result(await graph.aget_state(self._config(thread_id)), thread_id, before)


def _refuse_while(request: ApprovalRequest | None) -> None:
    """New input on a conversation stopped at an approval is not run: the request comes first."""
    if request is not None:
        raise AwaitingApproval(request)


def _observed(turn: TurnTelemetry, snapshot: StateSnapshot, before: int) -> StateSnapshot:
    """Record the end of ``turn`` from its conversation's checkpoint; returns the checkpoint."""
    turn.finished(snapshot.values.get("messages", [])[before:], interrupted=pending_interrupt(snapshot) is not None)
    return snapshot


def _turn_result(snapshot, thread_id: str, before: int) -> TurnResult:
    messages = snapshot.values.get("messages", [])
    new = messages[before:]
    interrupt = pending_interrupt(snapshot)
    answer = ""
    refs: list[str] = []
    if interrupt is None:
        for message in reversed(new):
            if isinstance(message, AIMessage) and not message.tool_calls:
                answer = message.content if isinstance(message.content, str) else str(message.content)
                refs = (message.additional_kwargs.get("planner") or {}).get("focus", [])
                break
    else:
        request = interrupt.get("request", {})
        answer = (
            f"Approval needed: {request.get('action')} on {request.get('target')} "
            f"(request {request.get('id')}). Allowed approvers: {', '.join(request.get('approvers', []))}."
        )
        progress = next(
            (m.content for m in reversed(new) if isinstance(m, AIMessage) and m.tool_calls and m.content), ""
        )
        if isinstance(progress, str) and progress:
            answer = f"{progress}\n\n{answer}"
    return TurnResult(
        answer=redact_text(answer), tool_calls=tool_calls_of(new), thread_id=thread_id, interrupt=interrupt, refs=refs
    )


def _finished(snapshot, thread_id: str, before: int) -> Finished:
    """The :class:`Finished` event of the turn whose messages start at index ``before``."""
    new = snapshot.values.get("messages", [])[before:]
    return Finished(
        **_turn_result(snapshot, thread_id, before).model_dump(),
        citations=citations_in(new),
        attachments=attachments_in(new),
    )


def _durability(payload: Any) -> dict[str, str]:
    """A decision's run saves each step before the next begins: the approval is on disk before the
    change runs, so a crash between the two can never leave an execution without its decision.
    Questions keep LangGraph's default (checkpoints written in the background)."""
    return {"durability": "sync"} if isinstance(payload, Command) else {}


def new_thread_id() -> str:
    return str(uuid.uuid4())
