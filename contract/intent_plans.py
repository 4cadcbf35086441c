"""The generic plans an intents file can name instead of a plan function.

Most intents take one of three shapes, and writing each out again in Python was where the
families repeated themselves (call the tool once, stop on failure, unpack, render):

- ``call``: call one tool with arguments from the slots, then render its result;
- ``each``: resolve the entities the ask is about, call one tool per entity, then render all results;
- ``search``: search first, then call a tool on the best hit (``then``), then render.

The renderers and resolvers stay named functions of the family; only the sequencing lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contract.intents import Answer, CallTools, Planner, PlanState, Step, StepResult, ToolCallSpec

Render = Callable[[PlanState, StepResult], Step]
RenderAll = Callable[[PlanState, list[StepResult]], Step]
# The refs an ask is about, or the step to take before they are known (a search, a "nothing matched").
Resolve = Callable[[PlanState], tuple[list[str] | None, Step | None]]
# What the first call found that the second one acts on, or the answer when it found nothing usable.
Pick = Callable[[PlanState, StepResult], dict[str, Any] | Answer]

# Tool arguments as an intents file writes them; see :func:`fill`.
Args = dict[str, Any] | str | list[dict[str, Any] | str]
OPTIONAL = "?"
# The slot an extractor fills, instead of the tool's arguments, when the ask is answered without a
# call: a plain ask whose source is not configured ("Rightsizing needs OpenCost — set …").
UNAVAILABLE = "unavailable"


def fill(template: Args, slots: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Tool arguments from a template: ``"$slot"`` is that slot's value, ``"$slot?"`` the same but
    left out when the slot is absent or None, and a bare ``"$slot"`` as the whole template is a slot
    that already holds the arguments; a list of templates is merged in order. Other values are
    taken as written."""
    values = {**slots, **extra}
    if isinstance(template, list):
        return {key: value for part in template for key, value in fill(part, slots, **extra).items()}
    if isinstance(template, str):
        return dict(values[template.removeprefix("$")])
    args: dict[str, Any] = {}
    for key, value in template.items():
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:].removesuffix(OPTIONAL)
            if value.endswith(OPTIONAL) and values.get(name) is None:
                continue
            args[key] = values[name]
        else:
            args[key] = value
    return args


def error_answer(text: str) -> Render:
    """The answer to a failed call: ``text`` with ``{error}`` replaced by the tool's error."""

    def answer(state: PlanState, step: StepResult) -> Step:
        return Answer(text=text.replace("{error}", str(step.error)))

    return answer


def one_call(tool: str, args: Args, answer: Render, on_error: Render | None) -> Planner:
    """Call ``tool`` once, then answer from its result (``on_error`` answers a failed call); an
    ``unavailable`` slot is the answer instead, and no call is made."""

    def plan(state: PlanState) -> Step:
        if unavailable := state.slots.get(UNAVAILABLE):
            return Answer(text=unavailable)
        step = state.result_of(tool)
        if step is None:
            return CallTools(calls=[ToolCallSpec(name=tool, args=fill(args, state.slots))])
        if not step.ok and on_error is not None:
            return on_error(state, step)
        return answer(state, step)

    return plan


def each(tool: str, args: Args, resolve: Resolve, answer: RenderAll) -> Planner:
    """Resolve the entities, call ``tool`` once per entity (``$ref`` in the arguments), answer from all."""

    def plan(state: PlanState) -> Step:
        refs, first = resolve(state)
        if first is not None:
            return first
        steps = state.results_of(tool)
        if not steps:
            calls = [ToolCallSpec(name=tool, args=fill(args, state.slots, ref=ref)) for ref in refs or []]
            return CallTools(calls=calls)
        return answer(state, steps)

    return plan


def search_then(tool: str, args: Args, pick: Pick, then: str, then_args: Args, answer: Render) -> Planner:
    """Search with ``tool``, let ``pick`` choose from the hits, call ``then`` on the pick, then answer."""

    def plan(state: PlanState) -> Step:
        found = state.result_of(tool)
        if found is None:
            return CallTools(calls=[ToolCallSpec(name=tool, args=fill(args, state.slots))])
        done = state.result_of(then)
        if done is not None:
            return answer(state, done)
        picked = pick(state, found)
        if isinstance(picked, Answer):
            return picked
        return CallTools(calls=[ToolCallSpec(name=then, args=fill(then_args, state.slots, **picked))])

    return plan
