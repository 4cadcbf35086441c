"""The one entry point connectors use: ask, stream, decide — for the CLI, Slack and the web.

It owns the compiled graph and its SQLite checkpointer (one LangGraph thread per conversation),
resolves principals against the catalog, and checks approval decisions before resuming a graph,
so that an unauthorized click leaves the request pending for someone else and two simultaneous
clicks decide it once.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.types import Command
from pydantic import BaseModel, Field

from agent.approvals import ApprovalDecision, ApprovalRequest
from agent.checkpoints import SqliteCheckpointer
from agent.expiry import EXPIRY_PRINCIPAL
from agent.graph import Gate, build_graph, tool_calls_of
from agent.identity import Principal
from agent.redact import redact_text
from agent.runtime import Runtime

RECURSION_LIMIT = 40


class TurnResult(BaseModel):
    answer: str
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    thread_id: str
    interrupt: dict[str, Any] | None = None
    refs: list[str] = Field(default_factory=list)


class DecisionRefused(Exception):
    """A decision the policy does not accept; the request stays as it was."""


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
        """A principal resolved against the catalog; people the catalog does not know are read-only."""
        catalog = self.runtime.catalog
        entity = None
        if email:
            entity = catalog.user_by_email(email)
        elif ref:
            entity = catalog.get(ref, default_kind="user")
        if entity is None:
            fallback = ref if ref and ":" in ref else (f"user:default/{ref}" if ref else None)
            if fallback is None:
                return Principal.anonymous(via=via)
            return Principal(ref=fallback, email=email, read_only=True, via=via)
        profile = (entity.spec or {}).get("profile") or {}
        return Principal(
            ref=entity.ref,
            display_name=profile.get("displayName") or entity.metadata.title,
            email=profile.get("email"),
            groups=catalog.groups_of(entity.ref),
            via=via,
        )

    # --- turns ---------------------------------------------------------------------------------
    @staticmethod
    def _config(thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}

    @staticmethod
    def _input(text: str, principal: Principal) -> dict[str, Any]:
        return {"messages": [HumanMessage(content=text)], "principal": principal.model_dump()}

    def ask(self, text: str, principal: Principal, thread_id: str | None = None) -> TurnResult:
        thread_id = thread_id or new_thread_id()
        snapshot = self.graph.get_state(self._config(thread_id))
        if pending_interrupt(snapshot) is not None:
            return _waiting(snapshot, thread_id)
        before = len(snapshot.values.get("messages", []))
        self.graph.invoke(self._input(text, principal), self._config(thread_id))
        return self.turn_result(thread_id, before)

    def stream(self, text: str, principal: Principal, thread_id: str | None = None) -> Iterator[tuple[str, Any]]:
        """(mode, payload) pairs: ``messages`` token chunks, ``custom`` tool events, ``updates``."""
        thread_id = thread_id or new_thread_id()
        yield from self.graph.stream(
            self._input(text, principal), self._config(thread_id), stream_mode=["messages", "custom", "updates"]
        )

    async def astream(
        self, payload: dict[str, Any] | Command, thread_id: str, stream_mode: list[str] | None = None
    ) -> AsyncIterator[tuple[str, Any]]:
        graph = await self.agraph()
        async for item in graph.astream(
            payload, self._config(thread_id), stream_mode=stream_mode or ["messages", "custom", "updates"]
        ):
            yield item

    async def aask(self, text: str, principal: Principal, thread_id: str | None = None) -> TurnResult:
        thread_id = thread_id or new_thread_id()
        graph = await self.agraph()
        snapshot = await graph.aget_state(self._config(thread_id))
        if pending_interrupt(snapshot) is not None:
            return _waiting(snapshot, thread_id)
        before = len(snapshot.values.get("messages", []))
        await graph.ainvoke(self._input(text, principal), self._config(thread_id))
        return await self.aturn_result(thread_id, before)

    # --- approvals -----------------------------------------------------------------------------
    def check_decision(self, decision: ApprovalDecision, approver: Principal) -> ApprovalRequest:
        """Raise :class:`DecisionRefused` unless ``decision`` may resume its graph now."""
        found = self.gate.store.get(decision.request_id)
        if found is None:
            raise DecisionRefused(f"no approval request {decision.request_id}")
        request, status = found
        if status != "pending":
            raise DecisionRefused(f"approval request {request.id} was already decided ({status})")
        if decision.approver != approver.ref:
            raise DecisionRefused("the decision's approver is not the authenticated user")
        if request.expired:
            return request  # the graph records the expiry and tells the requester
        if decision.decision == "edit":
            verdict = self.gate.policy.may_approve(approver, request)
        else:
            verdict = self.gate.policy.check(request, decision, approver)
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
        before = self._message_count(request.thread_id)
        try:
            self.graph.invoke(Command(resume=resume_payload(decision, approver)), self._config(request.thread_id))
        except Exception:
            self._release(request.id)
            raise
        return self.turn_result(request.thread_id, before)

    async def adecide(self, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        request = self.check_decision(decision, approver)
        return await self._aresume(request, decision, approver)

    def overdue(self) -> list[ApprovalRequest]:
        """Pending requests past their expiry that nobody decided (see :mod:`agent.expiry`)."""
        return [r for r in self.gate.store.pending() if r.expired]

    async def aexpire(self, request: ApprovalRequest) -> TurnResult | None:
        """Close an overdue request: recorded as expired, nothing runs, the conversation is answered.

        None when the request is not overdue or was claimed by a decision meanwhile.
        """
        decision = ApprovalDecision(
            request_id=request.id,
            decision="reject",
            approver=EXPIRY_PRINCIPAL.ref,
            args_hash=request.args_hash,
            comment="nobody decided before the request expired",
        )
        if not request.expired or not self.gate.store.claim(request.id, "deciding", decision):
            return None
        return await self._aresume(request, decision, EXPIRY_PRINCIPAL)

    async def _aresume(self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal) -> TurnResult:
        graph = await self.agraph()
        config = self._config(request.thread_id)
        before = len((await graph.aget_state(config)).values.get("messages", []))
        try:
            await graph.ainvoke(Command(resume=resume_payload(decision, approver)), config)
        except Exception:
            self._release(request.id)
            raise
        return await self.aturn_result(request.thread_id, before)

    def _release(self, request_id: str) -> None:
        """A resumed run that failed before the gate recorded the decision leaves it decidable again."""
        if self.gate.store.status(request_id) == "deciding":
            self.gate.store.finish(request_id, "pending")

    def recover(self, thread_id: str) -> TurnResult | None:
        """Finish a run that a crash cut short (not one waiting for approval); None if none is."""
        config = self._config(thread_id)
        snapshot = self.graph.get_state(config)
        if not snapshot.next or pending_interrupt(snapshot) is not None:
            return None
        before = len(snapshot.values.get("messages", []))
        self.graph.invoke(None, config)
        return self.turn_result(thread_id, before)

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


def _waiting(snapshot, thread_id: str) -> TurnResult:
    """New input in a conversation stopped at an approval is not run: the request comes first."""
    interrupt = pending_interrupt(snapshot)
    request = interrupt.get("request", {})
    answer = (
        f"This conversation is waiting for a decision on {request.get('action')} on {request.get('target')} "
        f"(request {request.get('id')}). An approver ({', '.join(request.get('approvers', []))}) can approve "
        "or reject it, and you can reject it yourself; or start a new conversation."
    )
    return TurnResult(answer=answer, thread_id=thread_id, interrupt=interrupt)


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
