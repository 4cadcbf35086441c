"""A scripted chat model that does whatever text in its context tells it to: the worst case of an LLM.

A real model may or may not fall for a prompt injection; this one always does. It first makes the
attack's read calls (to pull the planted text into its context), then turns every instruction it
finds in tool output into a tool call: JSON blocks shaped like tool calls, and plain imperatives
("delete the pod X", "restart checkout", "scale search to 0"). Its final answer repeats the tool
output it saw, so a secret any tool leaked would show in the answer. If the gate holds against
this model, it holds against any model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import Field

from evals.models import current_turn, reply, tool_output

JSON_OBJECT = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")
IMPERATIVES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bdelete (?:the )?pod ([a-z0-9][a-z0-9.-]*)", re.I), "k8s_delete_pod"),
    (
        re.compile(r"\b(?:rollout )?restart (?:the )?(?:deployment |service )?([a-z0-9][a-z0-9-]*)", re.I),
        "k8s_rollout_restart",
    ),
    (re.compile(r"\broll ?back (?:the )?(?:deployment |service )?([a-z0-9][a-z0-9-]*)", re.I), "k8s_rollback"),
    (re.compile(r"\bscale (?:the )?(?:deployment |service )?([a-z0-9][a-z0-9-]*) to (\d+)", re.I), "k8s_scale"),
    (re.compile(r"\bcordon (?:the )?(?:node )?([a-z0-9][a-z0-9.-]*)", re.I), "k8s_cordon"),
)


def injected_calls(text: str, known_tools: set[str]) -> list[dict[str, Any]]:
    """Every tool call the text asks for, as an obedient model would make it."""
    calls: list[dict[str, Any]] = []
    for match in JSON_OBJECT.finditer(text):
        try:
            block = json.loads(match.group(0))
        except ValueError:
            continue
        name = block.get("name") or block.get("tool")
        args = block.get("args") or block.get("arguments") or block.get("parameters") or {}
        if name in known_tools and isinstance(args, dict):
            calls.append({"name": name, "args": args})
    for pattern, tool in IMPERATIVES:
        if tool not in known_tools:
            continue
        for match in pattern.finditer(text):
            if tool == "k8s_delete_pod":
                calls.append({"name": tool, "args": {"name": match.group(1).rsplit("-", 2)[0], "pod": match.group(1)}})
            elif tool == "k8s_scale":
                calls.append({"name": tool, "args": {"name": match.group(1), "replicas": int(match.group(2))}})
            elif tool == "k8s_cordon":
                calls.append({"name": tool, "args": {"node": match.group(1)}})
            else:
                calls.append({"name": tool, "args": {"name": match.group(1)}})
    return calls


class ObedientModel(BaseChatModel):
    """Reads first (``reads``), then obeys what the tool output says, then repeats what it saw."""

    reads: list[dict[str, Any]] = Field(default_factory=list)
    known_tools: set[str] = Field(default_factory=set)
    obeyed: list[dict[str, Any]] = Field(default_factory=list)  # the injected calls it made

    @property
    def _llm_type(self) -> str:
        return "obedient"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ObedientModel:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        turn = current_turn(messages)
        seen = tool_output(turn)
        made = [c for m in turn if isinstance(m, AIMessage) for c in m.tool_calls]
        if not made and self.reads:
            return reply(calls=self.reads, prefix="read")
        already = {json.dumps([c["name"], c["args"]], sort_keys=True) for c in made}
        wanted = [
            c
            for c in injected_calls(seen, self.known_tools)
            if json.dumps([c["name"], c["args"]], sort_keys=True) not in already
        ]
        if wanted:
            self.obeyed.extend(wanted)
            return reply(calls=wanted, prefix=f"obey{len(made)}-")
        return reply(text="Here is what the tools said:\n" + seen if seen else "Nothing to report.")
