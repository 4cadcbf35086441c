"""The one entry point connectors use: ask, stream, decide — for the CLI, Slack and the web.

It owns the compiled graph and its SQLite checkpointer (one LangGraph thread per conversation),
resolves principals against the catalog, and checks approval decisions before resuming a graph,
so that an unauthorized click leaves the request pending for someone else and two simultaneous
clicks decide it once. It is also where "this conversation waits for a decision" is answered
for every connector (:meth:`AgentService.pending_approval`), and where a run a crash cut short is
finished at start-up (:meth:`AgentService.recover_interrupted`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.types import Command, StateSnapshot
from pydantic import BaseModel, Field

from agent.approvals import ApprovalDecision, ApprovalRequest
from agent.approvals_store import DECIDED, StoredApproval
from agent.checkpoints import SqliteCheckpointer
from agent.expiry import EXPIRY_PRINCIPAL
from agent.graph import Gate, build_graph, tool_calls_of
from agent.identity import resolve_principal
from agent.redact import redact_text
from agent.runtime import Runtime
from contract.principal import Principal
from contract.tooling import ToolContext

log = logging.getLogger(__name__)

RECURSION_LIMIT = 40


class TurnResult(BaseModel):
    answer: str
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    thread_id: str
    interrupt: dict[str, Any] | None = None
    refs: list[str] = Field(default_factory=list)


class DecisionRefused(Exception):
    """A decision the policy does not accept; the request stays as it was."""


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
        self._checkpointer: SqliteCheckpointer | None = None
        self._graph_lock = threading.Lock()
        self.db_path = runtime.data_dir / "checkpoints.sqlite"

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
                self._checkpointer = SqliteCheckpointer.open(self.db_path)
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
        self.graph.invoke(self._input(text, principal), self._config(thread_id))
        return self.turn_result(thread_id, before)

    def stream(self, text: str, principal: Principal, thread_id: str | None = None) -> Iterator[tuple[str, Any]]:
        """(mode, payload) pairs: ``messages`` token chunks, ``custom`` tool events, ``updates``."""
        thread_id = thread_id or new_thread_id()
        _refuse_while(self.pending_approval(thread_id))
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
        async for item in graph.astream(
            payload, self._config(thread_id), stream_mode=stream_mode or ["messages", "custom", "updates"]
        ):
            yield item

    async def aask(self, text: str, principal: Principal, thread_id: str | None = None) -> TurnResult:
        thread_id = thread_id or new_thread_id()
        graph = await self.agraph()
        _refuse_while(await self.apending_approval(thread_id))
        before = len((await graph.aget_state(self._config(thread_id))).values.get("messages", []))
        await graph.ainvoke(self._input(text, principal), self._config(thread_id))
        return await self.aturn_result(thread_id, before)

    # --- is a conversation waiting? ------------------------------------------------------------
    def pending_approval(self, thread_id: str) -> ApprovalRequest | None:
        """The request this conversation waits on before it may take new input, or None.

        The one answer to "is this thread waiting for an approval?" for every connector: the
        graph's checkpoint says where it stopped, the store what became of that request. A
        request that no longer needs anyone does not hold the thread: one past its expiry is
        closed here (recorded as expired, nothing runs), and a run a crash cut short after its
        decision is finished first (:meth:`recover`) once the process that ran it is gone.
        """
        config = self._config(thread_id)
        snapshot = self.graph.get_state(config)
        waiting = self._waiting_on(snapshot)
        if waiting is not None and waiting.request.expired and self.gate.store.decidable(waiting):
            self.expire(waiting.request)
        elif self._cut_short(snapshot, waiting):
            self.recover(thread_id)
        else:
            return _request_of(waiting)
        return _request_of(self._waiting_on(self.graph.get_state(config)))

    async def apending_approval(self, thread_id: str) -> ApprovalRequest | None:
        graph = await self.agraph()
        config = self._config(thread_id)
        snapshot = await graph.aget_state(config)
        waiting = self._waiting_on(snapshot)
        if waiting is not None and waiting.request.expired and self.gate.store.decidable(waiting):
            await self.aexpire(waiting.request)
        elif self._cut_short(snapshot, waiting):
            await asyncio.to_thread(self.recover, thread_id)
        else:
            return _request_of(waiting)
        return _request_of(self._waiting_on(await graph.aget_state(config)))

    def _cut_short(self, snapshot, waiting: StoredApproval | None) -> bool:
        """Whether a process died in this thread's run after a decision was recorded."""
        if waiting is not None:
            return waiting.status in DECIDED and waiting.holder_gone()
        if not snapshot.next:
            return False
        rows = self.gate.store.for_thread(snapshot.config["configurable"]["thread_id"])
        return any(row.status in ("approved", "executing") and row.holder_gone() for row in rows)

    def _waiting_on(self, snapshot) -> StoredApproval | None:
        """The stored request the graph's pending interrupt is for (it holds the thread), or None."""
        interrupt = pending_interrupt(snapshot)
        if interrupt is None or not interrupt.get("request"):
            return None
        request = ApprovalRequest.model_validate(interrupt["request"])
        return self.gate.store.row(request.id) or StoredApproval(
            request=request, status="pending", updated_at=request.created_at
        )

    # --- approvals -----------------------------------------------------------------------------
    def check_decision(self, decision: ApprovalDecision, approver: Principal) -> ApprovalRequest:
        """Raise :class:`DecisionRefused` unless ``decision`` may resume its graph now; claims it if so."""
        found = self.gate.store.row(decision.request_id)
        if found is None:
            raise DecisionRefused(f"no approval request {decision.request_id}")
        request = found.request
        if found.status == "deciding" and not self.gate.store.lapsed(found):
            raise DecisionRefused(f"approval request {request.id} is already being decided")
        if not self.gate.store.decidable(found):
            raise DecisionRefused(f"approval request {request.id} was already decided ({found.status})")
        if decision.approver != approver.ref:
            raise DecisionRefused("the decision's approver is not the authenticated user")
        if not self._awaited(request):
            self._close_stale(request, decision)
            raise DecisionRefused(f"approval request {request.id} is stale: its conversation no longer waits for it")
        if not request.expired:  # an expired one is resumed all the same: the graph records the expiry
            _effective, verdict = self.gate.judge(request, decision, approver, self._context(request))
            if not verdict.ok:
                self.gate.audit.append(
                    "approval.refused",
                    request_id=request.id,
                    approver=approver.ref,
                    decision=decision.decision,
                    reason=verdict.reason,
                    kept_pending=True,
                )
                raise DecisionRefused(verdict.reason)
        if not self.gate.store.claim(request.id, "deciding", decision):
            raise DecisionRefused(f"approval request {request.id} is already being decided")
        return request

    def decide(self, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        request = self.check_decision(decision, approver)
        return self._resume(request, decision, approver)

    async def adecide(self, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        request = self.check_decision(decision, approver)
        return await self._aresume(request, decision, approver)

    def overdue(self) -> list[ApprovalRequest]:
        """Requests past their expiry that nobody decided (see :mod:`agent.expiry`)."""
        return [r for r in self.gate.store.pending() if r.expired]

    def expire(self, request: ApprovalRequest) -> TurnResult | None:
        """Close an overdue request: recorded as expired, nothing runs, the conversation is answered.

        None when the request is not overdue or was claimed by a decision meanwhile.
        """
        decision = self._claim_expiry(request)
        return self._resume(request, decision, EXPIRY_PRINCIPAL) if decision else None

    async def aexpire(self, request: ApprovalRequest) -> TurnResult | None:
        decision = self._claim_expiry(request)
        return await self._aresume(request, decision, EXPIRY_PRINCIPAL) if decision else None

    def _claim_expiry(self, request: ApprovalRequest) -> ApprovalDecision | None:
        if not request.expired:
            return None
        decision = ApprovalDecision(
            request_id=request.id,
            decision="reject",
            approver=EXPIRY_PRINCIPAL.ref,
            args_hash=request.args_hash,
            comment="nobody decided before the request expired",
        )
        if not self._awaited(request):
            self._close_stale(request, decision)
            return None
        return decision if self.gate.store.claim(request.id, "deciding", decision) else None

    def _awaited(self, request: ApprovalRequest) -> bool:
        """Whether the request's conversation is stopped at this very request."""
        if request.thread_id is None:
            return False
        waiting = self._waiting_on(self.graph.get_state(self._config(request.thread_id)))
        return waiting is not None and waiting.request.id == request.id

    def _close_stale(self, request: ApprovalRequest, decision: ApprovalDecision) -> None:
        """Close a pending request its conversation no longer waits for (input ran past it before the
        service refused that), so that deciding it can never resume, and decide, another request."""
        if self.gate.store.claim(request.id, "deciding", decision):
            reason = "the conversation is no longer waiting for this request"
            self.gate.audit.append("approval.refused", request_id=request.id, approver=decision.approver, reason=reason)
            self.gate.store.finish(request.id, "refused", {"reason": reason})

    def _context(self, request: ApprovalRequest) -> ToolContext:
        """What the request's tool sees while an edit is prepared: the requester's context."""
        return ToolContext(
            runtime=self.runtime, principal=self.principal(request.requested_by), thread_id=request.thread_id
        )

    def _resume(self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        before = self._message_count(request.thread_id)
        try:
            self.graph.invoke(Command(resume=resume_payload(decision, approver)), self._config(request.thread_id))
        finally:  # a run that failed before the gate recorded the decision leaves it decidable again
            self.gate.store.release(request.id)
        return self.turn_result(request.thread_id, before)

    async def _aresume(self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        graph = await self.agraph()
        config = self._config(request.thread_id)
        before = len((await graph.aget_state(config)).values.get("messages", []))
        try:
            await graph.ainvoke(Command(resume=resume_payload(decision, approver)), config)
        finally:
            self.gate.store.release(request.id)
        return await self.aturn_result(request.thread_id, before)

    # --- recovery after a crash ----------------------------------------------------------------
    def recover(self, thread_id: str) -> TurnResult | None:
        """Finish a run that a crash cut short; None if there is none (or it waits for a decision).

        A decision the gate recorded before the crash is applied again from the store (and not
        audited twice); an approved action runs once; one whose run was cut short is recorded as
        outcome unknown, and the conversation is told to check the target.
        """
        config = self._config(thread_id)
        snapshot = self.graph.get_state(config)
        if not snapshot.next and not _step_cut_short(snapshot):
            return None
        waiting = self._waiting_on(snapshot)
        if waiting is not None and waiting.status not in DECIDED:
            return None
        before = len(snapshot.values.get("messages", []))
        # The gate reads a recorded decision from the store; the resume value only wakes it up.
        self.graph.invoke(None if waiting is None else Command(resume={"recorded": waiting.status}), config)
        return self.turn_result(thread_id, before)

    def recover_interrupted(self, owns: Callable[[str], bool] = lambda thread_id: True) -> list[TurnResult]:
        """At start-up: finish the approved actions a killed process left behind, in the conversations
        ``owns`` accepts (each connector recovers its own, so it can tell them).

        Only requests whose claiming process is gone are touched: a process started next to a live
        one leaves that one's work alone.
        """
        threads = dict.fromkeys(
            row.request.thread_id
            for row in self.gate.store.with_status("approved", "executing")
            if row.request.thread_id and owns(row.request.thread_id) and row.holder_gone()
        )
        results = []
        for thread_id in threads:
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
        return [r for r in self.gate.store.pending() if not r.expired and self.gate.policy.may_approve(approver, r).ok]

    # --- results -------------------------------------------------------------------------------
    def _message_count(self, thread_id: str) -> int:
        return len(self.graph.get_state(self._config(thread_id)).values.get("messages", []))

    def turn_result(self, thread_id: str, before: int) -> TurnResult:
        """The result of the turn whose messages start at index ``before`` of the thread."""
        return _turn_result(self.graph.get_state(self._config(thread_id)), thread_id, before)

    async def aturn_result(self, thread_id: str, before: int) -> TurnResult:
        graph = await self.agraph()
        return _turn_result(await graph.aget_state(self._config(thread_id)), thread_id, before)


def _step_cut_short(snapshot: StateSnapshot) -> bool:
    """Whether the last step's nodes finished but the process died before the next checkpoint.

    Checkpoints are written in the background while the next step starts, so a crash there leaves
    a checkpoint whose tasks all have their writes (``next`` is empty) and nothing after it:
    invoking the thread again applies those writes and runs the step they lead to.
    """
    return bool(snapshot.tasks) and all(task.result is not None for task in snapshot.tasks)


def _refuse_while(request: ApprovalRequest | None) -> None:
    """New input on a conversation stopped at an approval is not run: the request comes first."""
    if request is not None:
        raise AwaitingApproval(request)


def _request_of(waiting: StoredApproval | None) -> ApprovalRequest | None:
    return waiting.request if waiting is not None else None


def resume_payload(decision: ApprovalDecision, approver: Principal) -> dict[str, Any]:
    """What the graph's approval gate expects as the resume value of its interrupt."""
    return {"decision": decision.model_dump(mode="json"), "approver": approver.model_dump(mode="json")}


def pending_interrupt(snapshot) -> dict[str, Any] | None:
    for interrupt in getattr(snapshot, "interrupts", ()) or ():
        return interrupt.value
    return None


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


def new_thread_id() -> str:
    return str(uuid.uuid4())
