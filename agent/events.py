"""The typed events of one conversation turn, as :class:`agent.service.AgentService` streams them.

Connectors render these and nothing else: Slack edits a message as tokens arrive and uploads
charts, the terminal prints, the web writes the Agent Protocol. How LangGraph shapes its stream
(which node a token came from, where tool activity is written, what an interrupt looks like) stays
inside the service (:mod:`agent.event_stream`), and files are found in typed
:class:`~contract.tooling.Attachment`\\ s, never guessed from names.

A turn is a sequence of :class:`Token`, :class:`ToolStarted` / :class:`ToolFinished` and at most
one :class:`ApprovalNeeded`, and ends with :class:`Finished`. A connector that speaks LangGraph's
own protocol (the web) also asks for the mirror events :class:`MessageStreamed`,
:class:`StateUpdated` and :class:`StateValues`, which carry what that protocol puts on the wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Any, Literal

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from agent.gate.policy import ApprovalRequest
from contract.tooling import Attachment, Citation

MIRRORS = frozenset({"messages", "updates", "values"})


class Token(BaseModel):
    """A piece of the answer's text as the model writes it (a delta: append it)."""

    kind: Literal["token"] = "token"
    text: str
    message_id: str | None = Field(None, description="The model message this piece belongs to")


class ToolStarted(BaseModel):
    kind: Literal["tool_started"] = "tool_started"
    name: str
    args: dict[str, Any] = Field(default_factory=dict, description="Redacted")
    call_id: str


class ToolFinished(BaseModel):
    kind: Literal["tool_finished"] = "tool_finished"
    name: str
    call_id: str
    ok: bool
    summary: str = Field("", description="What the model was told (redacted, capped)")
    attachments: list[Attachment] = Field(default_factory=list)


class ApprovalNeeded(BaseModel):
    """The turn stopped: ``request`` must be decided before the conversation goes on."""

    kind: Literal["approval_needed"] = "approval_needed"
    request: ApprovalRequest


class Finished(BaseModel):
    """The turn's outcome: the answer (or the approval notice) and what it rests on."""

    kind: Literal["finished"] = "finished"
    thread_id: str
    answer: str
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    refs: list[str] = Field(default_factory=list, description="The catalog entities the answer is about")
    citations: list[Citation] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    interrupt: dict[str, Any] | None = Field(None, description="The pending approval's interrupt, if it stopped")


class MessageStreamed(BaseModel):
    """Mirror ``messages``: a message (or chunk) as LangGraph streams it, with its run metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: Literal["message"] = "message"
    message: BaseMessage
    # LangGraph's own dict, not a copy: one model call's tokens share it, so its JSON is written once.
    metadata: SkipValidation[dict[str, Any]]


class StateUpdated(BaseModel):
    """Mirror ``updates``: ``{node: update}`` after a step, or ``{"__interrupt__": (...)}``."""

    kind: Literal["updates"] = "updates"
    updates: dict[str, Any]


class StateValues(BaseModel):
    """Mirror ``values``: the whole state after a step."""

    kind: Literal["values"] = "values"
    values: dict[str, Any]


TurnEvent = (
    Token | ToolStarted | ToolFinished | ApprovalNeeded | Finished | MessageStreamed | StateUpdated | StateValues
)


async def outcome(events: AsyncIterable[TurnEvent]) -> Finished | None:
    """The :class:`Finished` event of a turn whose progress nobody shows (consumed to the end)."""
    finished = None
    async for event in events:
        if isinstance(event, Finished):
            finished = event
    return finished
