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

from agent.planner.about_change import question_about_change
from agent.planner.progress import Progress
from agent.planner.references import resolve_partial_names, shown_in
from agent.planner.router import OPENER, Route, Router
from contract.compound import split_question
from contract.intents import Answer, CallTools, Intent, PlanState, StepResult
from contract.principal import Principal

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
        """The next message of the turn: tool calls, or the answer.

        A compound question is answered part by part; when a part's intent finds nothing, the next
        plausible family is tried before saying so. Both advance :class:`Progress`, which the
        messages carry from one call to the next.
        """
        principal = _principal_from(messages)
        turn_start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        if turn_start < 0:
            return AIMessage(content="Ask me about services, teams, docs, clusters, costs or templates.")
        earlier = messages[:turn_start]
        question = _text(messages[turn_start].content)
        turn = messages[turn_start + 1 :]
        available = set(tool_names if tool_names is not None else self.runtime.tools)
        meta = _planner_meta(turn)
        progress = Progress.of(meta, question)
        intent: Intent | None = None
        slots: dict[str, Any] = {}
        if progress is None:
            progress = self._progress(question, earlier, principal, available)
        else:
            intent = self._intent(meta.get("intent"))
            slots = meta.get("slots", {})
            if intent is None:
                return AIMessage(content=self.cannot_help(question))
        while True:
            state = self._state(progress, earlier, principal, turn, available)
            if intent is None:  # a part starts
                pinned = self.router.route_to(state, progress.pinned) if progress.pinned else None
                routed = pinned or self.router.route(state)
                if routed is None or not routed.live:
                    text = (
                        self.cannot_help(state.utterance)
                        if routed is None
                        else self.unconfigured(self.runtime.family(routed.intent.family))
                    )
                    progress.finish_part(Answer(text=text), None)
                    if progress.part < len(progress.parts):
                        continue
                    return self._final(progress, earlier)
                intent, slots = routed.intent, routed.slots
                progress.instead_of = routed.instead_of
            state.slots = slots
            steps = sum(1 for m in turn if isinstance(m, AIMessage) and _stage_of(m) == progress.stage)
            step = (
                intent.plan(state)
                if steps < MAX_STEPS_PER_TURN
                else Answer(text="I stopped after too many steps without an answer; please rephrase the question.")
            )
            info = {"intent": intent.name, "slots": _jsonable(state.slots), "progress": progress.model_dump()}
            if isinstance(step, CallTools):
                missing = [c.name for c in step.calls if c.name not in state.available_tools]
                # Only an imperative ask requests a change: a question about one is answered instead.
                about = None if missing else question_about_change(state, step)
                if missing:
                    step = Answer(
                        text=f"I would need the tool(s) {', '.join(missing)} for that, but they are not enabled "
                        "here (read-only mode or that source is not configured)."
                    )
                elif about is not None:
                    step = about
                else:
                    calls = [
                        {"name": c.name, "args": c.args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
                        for c in step.calls
                    ]
                    return AIMessage(content=step.note or "", tool_calls=calls, additional_kwargs={"planner": info})
            fallback = None if step.found else self.router.fallback(state, intent, [*progress.tried, intent.family])
            if fallback is not None:
                progress.missed_nothing(intent.family, step, intent.name)
                intent, slots = fallback.intent, fallback.slots
                continue
            if not step.found and progress.instead_of:  # say what would have answered it
                family = self.runtime.family(progress.instead_of)
                step = step.model_copy(update={"text": f"{step.text}\n\n{self.unconfigured(family)}"})
            progress.finish_part(step, intent.name)
            if progress.part < len(progress.parts):
                intent, slots = None, {}
                continue
            return self._final(progress, earlier, state.slots)

    def _progress(
        self, question: str, earlier: list[BaseMessage], principal: Principal, available: set[str]
    ) -> Progress:
        """The parts of a compound question to answer one by one, or the whole question.

        A later part is answered on its own only when it is plainly a question of another kind (an
        intent's pattern matches it, and not the intent of the part before); otherwise one intent
        takes the whole question, as "who owns it and what's their email" needs. So it does when
        every part goes to one family whose one answer serves them all (see
        ``ToolFamily.answers_compound_whole``): the first part's intent then takes the whole question.
        """
        parts = split_question(question, OPENER)
        if len(parts) == 1:
            return Progress(parts=parts)
        first = self._state(Progress(parts=parts), earlier, principal, [], available)
        if self.router.elliptical(first.utterance):  # "what about the kafka topic, who owns it"
            return Progress(parts=[question])
        route = self.router.route(first)
        previous = route.intent if route is not None else None
        for part in parts[1:]:
            plain = self.router.plain_intent(part, previous.name if previous else None)
            if previous is None or plain is None or plain.name == previous.name:
                return Progress(parts=[question])
            previous = plain
        if route.live and self._answered_whole(route, parts, earlier, principal, available):
            return Progress(parts=[question], pinned=route.intent.name)
        return Progress(parts=parts)

    def _answered_whole(
        self, first: Route, parts: list[str], earlier: list[BaseMessage], principal: Principal, available: set[str]
    ) -> bool:
        """Whether every part goes where the first (routed to ``first``) goes: one family whose one
        answer serves them all."""
        family = self.runtime.family(first.intent.family)
        if family is None or not family.answers_compound_whole:
            return False
        for number in range(1, len(parts)):
            state = self._state(Progress(parts=parts, part=number), earlier, principal, [], available)
            route = self.router.route(state)
            if route is None or not route.live or route.intent.family != family.name:
                return False
        return True

    def _state(
        self,
        progress: Progress,
        earlier: list[BaseMessage],
        principal: Principal,
        turn: list[BaseMessage],
        available: set[str],
    ) -> PlanState:
        """The state a part is planned in: after the first part, the part before it is the context
        ("… and who owns that system?" points into its answer)."""
        if progress.done:
            before = progress.done[-1]
            shown_text, focus = before.text, before.refs or _focus(earlier)
            previous_intent, previous_question = before.intent, progress.parts[progress.part - 1]
        else:
            shown_text, focus = _previous_answer(earlier), _focus(earlier)
            previous_intent, previous_question = _previous_intent(earlier), _previous_question(earlier)
        shown = shown_in(shown_text, self.runtime.catalog) if shown_text else ()
        return PlanState(
            utterance=resolve_partial_names(progress.question, shown),
            principal=principal,
            runtime=self.runtime,
            results=_results(turn, progress.stage),
            focus=focus,
            previous_intent=previous_intent,
            previous_question=previous_question,
            available_tools=available,
        )

    def _final(self, progress: Progress, earlier: list[BaseMessage], slots: dict[str, Any] | None = None) -> AIMessage:
        answer = progress.answer()
        intent = next((p.intent for p in reversed(progress.done) if p.intent), None)
        meta: dict[str, Any] = {"intent": intent, "focus": answer.refs or _focus(earlier)}
        if intent is not None:  # an answer follow-ups may point into
            meta.update(slots=_jsonable(slots or {}), final=True)
        return AIMessage(content=answer.text, additional_kwargs={"planner": meta})

    @staticmethod
    def unconfigured(family: Any) -> str:
        """The one line for an ask whose family (a :class:`ToolFamily`) has no configured source."""
        line = family.unconfigured or f"no {family.name} source is configured"
        return f"{line[:1].upper()}{line[1:]}."

    def _intent(self, name: str | None) -> Intent | None:
        return next((i for i in self.runtime.intents if i.name == name), None)

    def cannot_help(self, utterance: str) -> str:
        by_family: dict[str, list[str]] = {}
        for intent in self.runtime.intents:
            if not intent.needs_source or self.runtime.family_live(intent.family):
                by_family.setdefault(intent.family, []).append(intent.summary)
        lines = [
            "I can't answer that in offline mode: it needs a configured LLM, and I won't guess.",
            "",
            "Offline, I can answer these kinds of questions:",
        ]
        for family, summaries in by_family.items():
            lines.append(f"- **{family}**: " + "; ".join(dict.fromkeys(summaries)))
        unconfigured = [f.unconfigured for f in self.runtime.all_families if f.unconfigured and f.name not in by_family]
        if unconfigured:
            lines += ["", "Not available here: " + "; ".join(unconfigured) + "."]
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
    """The planner's record on the turn's latest message: the intent now at work and the progress."""
    for m in reversed(turn):
        if isinstance(m, AIMessage) and "planner" in m.additional_kwargs:
            return m.additional_kwargs["planner"]
    return None


def _stage_of(message: AIMessage) -> int:
    return ((message.additional_kwargs.get("planner") or {}).get("progress") or {}).get("stage", 0)


def _results(turn: Sequence[BaseMessage], stage: int = 0) -> list[StepResult]:
    """The tool results of this turn's ``stage`` (a result whose call is unknown counts as this stage's)."""
    calls: dict[str, tuple[dict, int]] = {}
    out: list[StepResult] = []
    for m in turn:
        if isinstance(m, AIMessage):
            for c in m.tool_calls:
                calls[c["id"]] = (c, _stage_of(m))
        elif isinstance(m, ToolMessage):
            call, of_stage = calls.get(m.tool_call_id, ({"name": m.name or "", "args": {}}, stage))
            if of_stage != stage:
                continue
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
