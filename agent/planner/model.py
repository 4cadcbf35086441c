"""The offline planner as a LangChain chat model, so the same graph runs with or without an LLM.

It is stateless: each call rebuilds the turn from the messages. The intent chosen for a turn and
its slots travel in the AI messages' ``additional_kwargs["planner"]``; tool results are read from
the tool messages' artifacts. The refs a finished turn was about become the focus for follow-ups
("and who is on call for it?").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from agent.identity import Principal
from agent.planner.intents import Answer, CallTools, Intent, PlanState, StepResult
from agent.planner.references import resolve_partial_names, shown_in
from agent.planner.router import Router

MAX_STEPS_PER_TURN = 8


class OfflinePlanner(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    runtime: Any  # agent.runtime.Runtime (Any: pydantic cannot validate it)

    @property
    def _llm_type(self) -> str:
        return "portal-agent-offline-planner"

    @property
    def router(self) -> Router:
        return self.runtime.router

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any):
        names = [t["function"]["name"] if isinstance(t, dict) else getattr(t, "name", str(t)) for t in tools]
        return self.bind(tool_names=names, **kwargs)

    # --- the plan ------------------------------------------------------------------------------
    def plan_message(self, messages: list[BaseMessage], tool_names: list[str] | None = None) -> AIMessage:
        principal = _principal_from(messages)
        turn_start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        if turn_start < 0:
            return AIMessage(content="Ask me about services, teams, docs, clusters, costs or templates.")
        earlier = messages[:turn_start]
        shown = shown_in(_previous_answer(earlier), self.runtime.catalog) if earlier else ()
        utterance = resolve_partial_names(_text(messages[turn_start].content), shown)
        turn = messages[turn_start + 1 :]
        state = PlanState(
            utterance=utterance,
            principal=principal,
            runtime=self.runtime,
            results=_results(turn),
            focus=_focus(earlier),
            previous_intent=_previous_intent(earlier),
            previous_question=_previous_question(earlier),
            available_tools=set(tool_names if tool_names is not None else self.runtime.tools),
        )
        meta = _planner_meta(turn)
        intent: Intent | None
        if meta is None:
            routed = self.router.route(state)
            if routed is None:
                return AIMessage(
                    content=self.cannot_help(utterance),
                    additional_kwargs={"planner": {"intent": None, "focus": state.focus}},
                )
            intent, state.slots = routed
        else:
            intent = self._intent(meta["intent"])
            state.slots = meta.get("slots", {})
        if intent is None:
            return AIMessage(content=self.cannot_help(utterance))
        steps = sum(1 for m in turn if isinstance(m, AIMessage))
        step = (
            intent.plan(state)
            if steps < MAX_STEPS_PER_TURN
            else Answer(text="I stopped after too many steps without an answer; please rephrase the question.")
        )
        info = {"intent": intent.name, "slots": _jsonable(state.slots)}
        if isinstance(step, CallTools):
            missing = [c.name for c in step.calls if c.name not in state.available_tools]
            if missing:
                return AIMessage(
                    content=(
                        f"I would need the tool(s) {', '.join(missing)} for that, but they are not enabled here "
                        "(read-only mode or that source is not configured)."
                    ),
                    additional_kwargs={"planner": info},
                )
            calls = [
                {"name": c.name, "args": c.args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
                for c in step.calls
            ]
            return AIMessage(content=step.note or "", tool_calls=calls, additional_kwargs={"planner": info})
        focus = step.refs or state.focus
        return AIMessage(content=step.text, additional_kwargs={"planner": {**info, "focus": focus, "final": True}})

    def _intent(self, name: str | None) -> Intent | None:
        return next((i for i in self.runtime.intents if i.name == name), None)

    def cannot_help(self, utterance: str) -> str:
        by_family: dict[str, list[str]] = {}
        for intent in self.runtime.intents:
            by_family.setdefault(intent.family, []).append(intent.summary)
        lines = [
            "I can't answer that in offline mode: it needs a configured LLM, and I won't guess.",
            "",
            "Offline, I can answer these kinds of questions:",
        ]
        for family, summaries in by_family.items():
            lines.append(f"- **{family}**: " + "; ".join(dict.fromkeys(summaries)))
        lines += [
            "",
            "To handle open-ended questions, configure an LLM, e.g. `PORTAL_AGENT_MODEL=openai:gpt-4o-mini` "
            "with `OPENAI_API_KEY`, or `PORTAL_AGENT_MODEL=openai-compatible:<model>` with "
            "`PORTAL_AGENT_MODEL_BASE_URL` (vLLM, Ollama, LiteLLM).",
        ]
        return "\n".join(lines)

    # --- BaseChatModel -------------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self.plan_message(messages, kwargs.get("tool_names"))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self.plan_message(messages, kwargs.get("tool_names"))
        if message.tool_calls:
            chunk = AIMessageChunk(
                content=_text(message.content),
                additional_kwargs=message.additional_kwargs,
                tool_call_chunks=[
                    {
                        "name": c["name"],
                        "args": json.dumps(c["args"]),
                        "id": c["id"],
                        "index": i,
                        "type": "tool_call_chunk",
                    }
                    for i, c in enumerate(message.tool_calls)
                ],
            )
            yield ChatGenerationChunk(message=chunk)
            return
        text = _text(message.content)
        pieces = _stream_pieces(text)
        for i, piece in enumerate(pieces):
            chunk = AIMessageChunk(
                content=piece, additional_kwargs=message.additional_kwargs if i == len(pieces) - 1 else {}
            )
            yield ChatGenerationChunk(message=chunk)  # the base class reports each chunk to callbacks

    # The planner is a few milliseconds of pure Python: the async variants run it inline on the
    # event loop, where a thread hop per call (and per streamed piece) would cost more than it.
    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, **kwargs)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._stream(messages, stop, **kwargs):
            yield chunk


def _stream_pieces(text: str, size: int = 48) -> list[str]:
    """Split into word-aligned pieces of about ``size`` characters, for progressive display."""
    if not text:
        return [""]
    pieces, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) > size and current:
            pieces.append(current + " ")
            current = word
        else:
            current = candidate
    pieces.append(current)
    return pieces


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def _principal_from(messages: Sequence[BaseMessage]) -> Principal:
    for m in messages:
        if isinstance(m, SystemMessage) and "principal" in m.additional_kwargs:
            return Principal.model_validate(m.additional_kwargs["principal"])
    return Principal(ref="user:default/guest")


def _planner_meta(turn: Sequence[BaseMessage]) -> dict | None:
    for m in turn:
        if isinstance(m, AIMessage) and "planner" in m.additional_kwargs:
            return m.additional_kwargs["planner"]
    return None


def _results(turn: Sequence[BaseMessage]) -> list[StepResult]:
    calls: dict[str, dict] = {}
    out: list[StepResult] = []
    for m in turn:
        if isinstance(m, AIMessage):
            for c in m.tool_calls:
                calls[c["id"]] = c
        elif isinstance(m, ToolMessage):
            call = calls.get(m.tool_call_id, {"name": m.name or "", "args": {}})
            result = m.artifact if isinstance(m.artifact, dict) else _parse_json(_text(m.content))
            out.append(StepResult(name=call["name"], args=call["args"], result=result))
    return out


def _parse_json(text: str) -> dict:
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else {"ok": True, "data": value}
    except json.JSONDecodeError:
        return {"ok": False, "error": text}


def _focus(earlier: Sequence[BaseMessage]) -> list[str]:
    for m in reversed(earlier):
        if isinstance(m, AIMessage):
            meta = m.additional_kwargs.get("planner") or {}
            if meta.get("focus"):
                return list(meta["focus"])
    return []


def _previous_answer(earlier: Sequence[BaseMessage]) -> str:
    for m in reversed(earlier):
        if isinstance(m, AIMessage) and (m.additional_kwargs.get("planner") or {}).get("final"):
            return _text(m.content)
    return ""


def _previous_question(earlier: Sequence[BaseMessage]) -> str | None:
    return next((_text(m.content) for m in reversed(earlier) if isinstance(m, HumanMessage)), None)


def _previous_intent(earlier: Sequence[BaseMessage]) -> str | None:
    for m in reversed(earlier):
        if isinstance(m, AIMessage) and (m.additional_kwargs.get("planner") or {}).get("final"):
            return m.additional_kwargs["planner"].get("intent")
    return None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
