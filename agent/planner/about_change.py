"""Answering a question about a change instead of requesting the change.

"What happens if I scale checkout to 0?" matches the scale intent's words, but it asks about a
scale; it does not ask for one. Before the offline planner emits a mutating tool call it asks
:func:`question_about_change`: when the utterance is not an imperative (agent/planner/mood.py), the
turn ends with an explanation instead: what the action would do, on which catalog entity, who
could approve it (the same policy the approval gate applies) and how to ask for it. Nothing is
changed and no approval is requested.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from agent.planner.mood import Mood, mood_of
from contract.intents import Answer, CallTools, PlanState, ToolCallSpec
from contract.tooling import ToolContext

if TYPE_CHECKING:
    from agent.gate.policy import ApprovalPolicy
    from contract.tooling import PortalTool

OPENING = {
    Mood.QUESTION: "You asked about a change, so I did not make or request it.",
    Mood.CONDITIONAL: "That is a what-if, so I did not make or request the change.",
    Mood.SUGGESTION: "That reads as a suggestion, not a request, so I did not make or request the change.",
    Mood.REPORT: "You described a change; I did not make or request another one.",
}
TARGET_ARGS = ("name", "cluster")  # named by the target already; not repeated in the example ask
# "should I …", "what happens if we …", "is it safe to …": what follows is the change itself.
QUESTION_WRAPPER = re.compile(
    r"^(?:(?:should|shall|can|could|may|must)\s+(?:i|we)"
    r"|what\s+(?:happens|would\s+happen|will\s+happen|could\s+happen)\s+(?:if|when)\s+(?:i|we)"
    r"|what\s+if\s+(?:i|we)|suppose\s+(?:i|we)|if\s+(?:i|we)"
    r"|(?:is\s+it|would\s+it\s+be)\s+(?:safe|ok|okay|wise|fine|a\s+good\s+idea)\s+to"
    r"|how\s+about|maybe|perhaps|(?:i|we)\s+(?:should|could|might))\b(?P<rest>[^,?]*)",
    re.I,
)


def question_about_change(state: PlanState, step: CallTools) -> Answer | None:
    """The explanation that replaces ``step`` when it would change something the user only asked about."""
    tools = state.runtime.tools
    changes = [c for c in step.calls if c.name in tools and tools[c.name].mutating]
    if not changes:
        return None
    mood = mood_of(state.utterance)
    if mood is Mood.IMPERATIVE:
        return None
    ctx = ToolContext(runtime=state.runtime, principal=state.principal)
    policy = _policy(state)
    lines = [step.note, ""] if step.note else []
    if mood is not Mood.PROHIBITION:
        lines.append(OPENING[mood])
    refs: list[str] = []
    for call in changes:
        tool = tools[call.name]
        target = _target(tool, call, ctx)
        refs += [target] if target else []
        if mood is Mood.PROHIBITION:
            what = f"{tool.action or call.name} {target or _call_text(call)}"
            lines.append(f"Understood: I will not {what}. Nothing was changed.")
        else:
            lines += ["", *_explanation(state.utterance, tool, call, target, policy)]
    return Answer(text="\n".join(lines), refs=list(dict.fromkeys(refs)))


def _explanation(
    utterance: str, tool: PortalTool, call: ToolCallSpec, target: str | None, policy: ApprovalPolicy | None
) -> list[str]:
    action = tool.action or call.name
    lines = [
        f"**{action}** on {target or 'its target'} would run {_call_text(call)}: {_first_sentence(tool.description)}",
    ]
    if target and policy is not None:
        approvers = policy.approvers_for(target)
        who = ", ".join(approvers) if approvers else "nobody (no owner or on-call in the catalog, no admin group)"
        lines.append(f"- Who could approve it: {who}.")
        if policy.four_eyes_production and policy.lifecycle_of(target) == "production":
            lines.append(f"- {target} is in production: whoever requests it may not approve it themselves.")
    lines.append(
        f'- To request it, ask for it directly, e.g. "{_example_ask(utterance, action, call, target)}". It then waits '
        "for one of the approvers, who sees a dry run of the change first."
    )
    return lines


def _policy(state: PlanState) -> ApprovalPolicy | None:
    """The approval gate's own policy, so the answer names exactly who the gate would accept."""
    from agent.gate.gate import Gate

    try:
        return Gate.for_runtime(state.runtime).policy
    except Exception:  # no catalog, no data dir: the explanation goes without the approvers
        return None


def _target(tool: PortalTool, call: ToolCallSpec, ctx: ToolContext) -> str | None:
    if tool.target is None:
        return None
    try:
        return tool.target(tool.parse(call.args), ctx)
    except Exception:
        return None


def _example_ask(utterance: str, action: str, call: ToolCallSpec, target: str | None) -> str:
    """The ask as a request: the question without its wrapper ("should I restart checkout?" becomes
    "restart checkout"), else the action on the target with its arguments."""
    m = QUESTION_WRAPPER.match(utterance.strip())
    if m:
        rest = m.group("rest").strip(" ?.!")
        first = rest.split(" ", 1)[0].lower()
        if rest and not first.endswith(("ed", "ing")) and mood_of(rest) is Mood.IMPERATIVE:
            return rest
    name = (target or str(call.args.get("name", ""))).split("/")[-1]
    extra = " ".join(
        f"{k}={v}" for k, v in call.args.items() if k not in TARGET_ARGS and isinstance(v, str | int | float)
    )
    return " ".join(part for part in ("please", action, name, extra) if part)


def _call_text(call: ToolCallSpec) -> str:
    args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in call.args.items())
    return f"`{call.name}({args})`"


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text
