"""A tiny stand-in for the planner loop: route to a named intent, run its CallTools via tool.run."""

from __future__ import annotations

from contract.intents import Answer, CallTools, PlanState, StepResult
from contract.principal import Principal
from contract.tooling import ToolContext


def run_intent(
    runtime,
    intent_name: str,
    utterance: str,
    principal: Principal | None = None,
    focus: list[str] | None = None,
    max_steps: int = 6,
):
    """Extract slots and run ``plan`` until it answers; returns (answer, state)."""
    principal = principal or Principal(ref="user:default/guest", via="test")
    intents = {i.name: i for i in runtime.intents}
    intent = intents[intent_name]
    tools = runtime.tools
    state = PlanState(
        utterance=utterance, principal=principal, runtime=runtime, focus=list(focus or []), available_tools=set(tools)
    )
    state.pattern_hit = intent.pattern_hit(utterance)  # as the router sets it
    slots = intent.extract(state)
    if slots is None:
        return None, state
    state.slots = slots
    ctx = ToolContext(runtime=runtime, principal=principal)
    for _ in range(max_steps):
        step = intent.plan(state)
        if isinstance(step, Answer):
            return step, state
        assert isinstance(step, CallTools)
        for call in step.calls:
            result = tools[call.name].run(call.args, ctx)
            state.results.append(StepResult(call.name, call.args, result.model_dump()))
    raise AssertionError(f"{intent_name} did not answer within {max_steps} steps")
