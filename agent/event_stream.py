"""LangGraph's stream of one run, translated into the typed turn events of :mod:`agent.events`.

This is the one place that knows how the graph streams: model tokens of the ``agent`` node in
mode ``messages``, tool activity in mode ``custom``, results and interrupts in mode ``updates``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Collection, Iterable, Iterator
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage

from agent.events import (
    MIRRORS,
    ApprovalNeeded,
    MessageStreamed,
    StateUpdated,
    StateValues,
    Token,
    ToolFinished,
    ToolStarted,
    TurnEvent,
)
from agent.gate.policy import ApprovalRequest
from contract.tooling import Attachment, Citation


class EventStream:
    """The events of one run, in the graph's order, from its ``(mode, data)`` items.

    The tools node says a tool ended (mode ``custom``) before it returns the result message that
    holds the summary and attachments, so a :class:`ToolFinished` waits for that message, and so
    does everything streamed after it: every consumer sees the events in the graph's own order.
    """

    def __init__(self, mirror: Collection[str] = ()):
        unknown = set(mirror) - MIRRORS
        if unknown:
            raise ValueError(f"unknown mirror modes {sorted(unknown)}; use {sorted(MIRRORS)}")
        self.mirror = frozenset(mirror)
        self.modes = ["messages", "custom", "updates"] + (["values"] if "values" in self.mirror else [])
        self._held: list[TurnEvent] = []
        self._awaiting: dict[str, ToolFinished] = {}

    def events_of(self, items: Iterable[tuple[str, Any]]) -> Iterator[TurnEvent]:
        """The events of a run's items; what is held still comes out if the run fails."""
        try:
            for mode, data in items:
                yield from self.feed(mode, data)
        except Exception:
            yield from self.flush()
            raise
        yield from self.flush()

    async def aevents_of(self, items: AsyncIterable[tuple[str, Any]]) -> AsyncIterator[TurnEvent]:
        try:
            async for mode, data in items:
                for event in self.feed(mode, data):
                    yield event
        except Exception:
            for event in self.flush():
                yield event
            raise
        for event in self.flush():
            yield event

    def feed(self, mode: str, data: Any) -> list[TurnEvent]:
        """The events one stream item completes (none while a tool's result is awaited)."""
        events = list(self._translate(mode, data))
        if not self._awaiting and not self._held:
            return events
        self._held.extend(events)
        return [] if self._awaiting else self.flush()

    def flush(self) -> list[TurnEvent]:
        """Whatever is held, as it is: the run ended (or failed) before a tool's result came."""
        held, self._held = self._held, []
        self._awaiting.clear()
        return held

    def _translate(self, mode: str, data: Any) -> Iterator[TurnEvent]:
        if mode == "messages":
            message, metadata = data
            yield from self._message(message, metadata or {})
        elif mode == "custom" and isinstance(data, dict):
            yield from self._activity(data)
        elif mode == "updates":
            yield from self._updates(data)
        elif mode == "values" and "values" in self.mirror:
            yield StateValues(values=data)

    def _message(self, message: BaseMessage, metadata: dict[str, Any]) -> Iterator[TurnEvent]:
        if (
            metadata.get("langgraph_node") == "agent"
            and isinstance(message, AIMessageChunk | AIMessage)
            and isinstance(message.content, str)
            and message.content
        ):
            yield Token(text=message.content, message_id=message.id)
        elif isinstance(message, ToolMessage):
            self._resolve(message)
        if "messages" in self.mirror:
            yield MessageStreamed(message=message, metadata=metadata)

    def _activity(self, data: dict[str, Any]) -> Iterator[TurnEvent]:
        if data.get("type") == "tool_start":
            yield ToolStarted(name=data["name"], args=data.get("args") or {}, call_id=data["id"])
        elif data.get("type") == "tool_end":
            finished = ToolFinished(name=data["name"], call_id=data["id"], ok=bool(data.get("ok")))
            self._awaiting[finished.call_id] = finished
            yield finished

    def _updates(self, data: dict[str, Any]) -> Iterator[TurnEvent]:
        for node, update in data.items():
            if node != "__interrupt__" and isinstance(update, dict):
                messages = update.get("messages") or []
                for message in messages if isinstance(messages, list) else [messages]:
                    if isinstance(message, ToolMessage):
                        self._resolve(message)
        if "updates" in self.mirror:
            yield StateUpdated(updates=data)
        for interrupt in data.get("__interrupt__") or ():
            value = getattr(interrupt, "value", None)
            if isinstance(value, dict) and value.get("request"):
                yield ApprovalNeeded(request=ApprovalRequest.model_validate(value["request"]))

    def _resolve(self, message: ToolMessage) -> None:
        """Complete the :class:`ToolFinished` waiting for this result message."""
        finished = self._awaiting.pop(message.tool_call_id, None)
        if finished is not None:
            finished.summary = message.content if isinstance(message.content, str) else ""
            finished.attachments = list(_attachments(_artifact(message)))


def _artifact(message: Any) -> dict[str, Any]:
    artifact = getattr(message, "artifact", None) if isinstance(message, ToolMessage) else None
    return artifact if isinstance(artifact, dict) else {}


def _attachments(artifact: dict[str, Any]) -> Iterator[Attachment]:
    for raw in artifact.get("attachments") or []:
        if isinstance(raw, dict):
            yield Attachment.model_validate(raw)


def citations_in(messages: list[Any]) -> list[Citation]:
    """The citations of the tool results among ``messages`` (a turn's), in order."""
    return [
        Citation.model_validate(raw)
        for message in messages
        for raw in _artifact(message).get("citations") or []
        if isinstance(raw, dict)
    ]


def attachments_in(messages: list[Any]) -> list[Attachment]:
    """The attachments of the tool results among ``messages``, each file once."""
    found: dict[str, Attachment] = {}
    for message in messages:
        for attachment in _attachments(_artifact(message)):
            found.setdefault(attachment.path, attachment)
    return list(found.values())
