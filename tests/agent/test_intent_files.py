"""The intents files (``tools/<family>/intents.yaml``): they load, a bad one says plainly what is
wrong and where, and every intent is exercised — enough examples to route by, and an eval case of
the demo datasets that routes to it, so no intent exists that nothing measures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent.identity import resolve_principal
from agent.runtime import Runtime
from contract.intent_files import IntentFileError, parse_intents
from contract.intent_plans import UNAVAILABLE, fill
from contract.intents import Answer, CallTools, PlanState
from contract.settings import Settings
from evals.runner import DATASETS_DIR, load_dataset
from tools.registry import builtin_families

MIN_EXAMPLES = 3
GOOD = """
family: widgets
intents:
  - name: widgets.count
    summary: how many widgets there are
    examples: [how many widgets are there, count the widgets, number of widgets]
    patterns: ['\\bwidgets?\\b']
    extract: on_pattern
    call: {tool: widget_count, args: {}}
    answer: render
"""


def render(state, step):
    """A renderer for the test files, found by name in this module."""


def _parse(text: str):
    return parse_intents(text, sys.modules[__name__], "tools/widgets/intents.yaml")


@pytest.fixture(scope="module")
def demo_runtime(tmp_path_factory) -> Runtime:
    from demo import DEMO_TODAY

    return Runtime(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True, demo_today=DEMO_TODAY))


def _every_intent(runtime: Runtime):
    return [*runtime.intents, *runtime.dormant_intents]


def test_a_good_file_loads_with_its_functions():
    (intent,) = _parse(GOOD)
    assert intent.name == "widgets.count" and intent.family == "widgets"
    assert intent.pattern_hit("How many widgets?")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("    examples: [how many widgets are there, count the widgets, number of widgets]\n", ""), "field examples"),
        (("    answer: render\n", "    answer: render\n    colour: blue\n"), "field colour"),
        (("'\\bwidgets?\\b'", "'(widgets'"), "does not compile"),
        (("answer: render", "answer: no_such_renderer"), "field answer: no function 'no_such_renderer'"),
        (
            ("    call: {tool: widget_count, args: {}}\n", "    call: {tool: widget_count}\n    plan: render\n"),
            "exactly one",
        ),
        (("extract: on_pattern", "extract: tools.nowhere:extract"), "field extract"),
    ],
)
def test_a_bad_file_names_the_file_the_intent_and_the_field(change, named):
    old, new = change
    with pytest.raises(IntentFileError) as error:
        _parse(GOOD.replace(old, new))
    message = str(error.value)
    assert message.startswith("tools/widgets/intents.yaml: ")
    assert "intent widgets.count" in message
    assert named in message


def test_arguments_come_from_the_slots_as_the_template_says():
    slots = {"ref": "component:default/checkout", "filters": {"kind": "api"}, "tail": None}
    assert fill({"name": "$ref", "tail": "$tail?", "cluster": "$cluster?", "limit": 5}, slots) == {
        "name": "component:default/checkout",
        "limit": 5,
    }
    assert fill(["$filters", {"limit": 25}], slots) == {"kind": "api", "limit": 25}
    assert fill({"ref": "$ref"}, slots, ref="api:default/orders") == {"ref": "api:default/orders"}


def test_an_unavailable_slot_answers_without_calling_the_tool():
    """An extractor that knows the source is missing answers the plain ask itself: no call is made."""
    (intent,) = _parse(GOOD)
    state = PlanState(utterance="how many widgets?", principal=None, runtime=None)
    assert isinstance(intent.plan(state), CallTools)
    state.slots[UNAVAILABLE] = "Counting widgets needs a widget API — set PORTAL_AGENT_WIDGETS."
    assert intent.plan(state) == Answer(text="Counting widgets needs a widget API — set PORTAL_AGENT_WIDGETS.")


def test_an_intent_declared_twice_is_refused():
    twice = GOOD + GOOD[GOOD.index("  - name:") :]
    with pytest.raises(IntentFileError, match=r"widgets\.count is declared more than once"):
        _parse(twice)


def test_every_family_declares_its_intents_in_a_file_with_enough_examples(demo_runtime):
    intents = _every_intent(demo_runtime)
    families = {f.name for f in builtin_families()}
    assert families <= {intent.family for intent in intents}
    for family in families - {"approvals"}:
        assert (Path(__file__).parents[2] / "tools" / family / "intents.yaml").is_file(), family
    thin = [intent.name for intent in intents if len(intent.examples) < MIN_EXAMPLES]
    assert not thin, f"intents with fewer than {MIN_EXAMPLES} examples: {thin}"


def _route(runtime: Runtime, principal, question: str, previous: str | None, asked: str | None, focus=()):
    state = PlanState(
        utterance=question,
        principal=principal,
        runtime=runtime,
        focus=list(focus),
        previous_intent=previous,
        previous_question=asked,
    )
    route = runtime.router.route(state)
    return route.intent.name if route else None


def _routed(runtime: Runtime) -> dict[str, list[str]]:
    """Per intent, the ids of the demo eval cases whose questions the router sends to it, each turn
    after the case's earlier ones. A follow-up whose words route nowhere without the conversation
    ("and its logs?") is routed with the focus its history leaves, the history asked for real."""
    from agent.service import AgentService, new_thread_id

    service = AgentService(runtime)
    routed: dict[str, list[str]] = {}
    for path in sorted(DATASETS_DIR.glob("*.yaml")):
        dataset = load_dataset(path)
        if dataset.settings:  # a set over real fixtures, not the demo organisation
            continue
        for case in dataset.cases:
            principal = resolve_principal(runtime.catalog, case.user or runtime.settings.default_user, via="api")
            before: str | None = None
            for i, question in enumerate(case.history):
                before = _route(runtime, principal, question, before, case.history[i - 1] if i else None)
            asked = case.history[-1] if case.history else None
            intent = _route(runtime, principal, case.question, before, asked)
            if intent is None and case.history:
                thread = new_thread_id()
                focus = [service.ask(turn, principal, thread_id=thread).refs for turn in case.history][-1]
                intent = _route(runtime, principal, case.question, before, asked, focus)
            if intent:
                routed.setdefault(intent, []).append(f"{path.stem}:{case.id}")
    return routed


def test_every_intent_has_a_demo_eval_case_that_routes_to_it(demo_runtime):
    routed = _routed(demo_runtime)
    missing = sorted(intent.name for intent in _every_intent(demo_runtime) if intent.name not in routed)
    assert not missing, f"intents no demo eval case routes to (add one to evals/datasets/<family>.yaml): {missing}"
