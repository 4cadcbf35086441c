"""The offline planner drives the real graph: routing, multi-step plans, follow-ups, honesty."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from agent.gate.policy import ApprovalDecision
from agent.planner.model import OfflinePlanner
from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings
from tests.support.agent import executions, make_runtime
from tools.registry import ToolFamily


@pytest.fixture
def service(tmp_path):
    return AgentService(make_runtime(tmp_path, with_intents=True))


@pytest.mark.parametrize(
    "question",
    ["is widget-api healthy?", "widget-api: up or not", "hows widget-api doing", "tell me the status of widget-api"],
)
def test_routes_phrasings_and_answers_from_the_tool_result(service, question):
    result = service.ask(question, service.principal("wendy.owner"))
    assert [c["name"] for c in result.tool_calls] == ["widget_status"]
    assert result.tool_calls[0]["args"] == {"name": "widget-api"}
    assert result.answer == "widget-api (component:default/widget-api) is healthy."
    assert result.refs == ["component:default/widget-api"]


def test_follow_up_uses_the_previous_turns_entity(service):
    principal = service.principal("wendy.owner")
    first = service.ask("is widget-lab healthy?", principal)
    follow = service.ask("and restart it please", principal, thread_id=first.thread_id)
    assert follow.interrupt is not None
    assert follow.interrupt["request"]["target"] == "component:default/widget-lab"


def test_mutation_planned_offline_waits_for_approval_then_reports(service):
    principal = service.principal("wendy.owner")
    pending = service.ask("restart widget-api", principal)
    request = pending.interrupt["request"]
    approver = service.principal("olga.oncall")
    done = service.decide(
        ApprovalDecision(
            request_id=request["id"], decision="approve", approver=approver.ref, args_hash=request["args_hash"]
        ),
        approver,
    )
    assert done.answer == "Restarted widget-api."
    assert len(executions(service.runtime)) == 1


def test_rejected_mutation_is_reported_honestly(service):
    pending = service.ask("restart widget-api", service.principal("wendy.owner"))
    request = pending.interrupt["request"]
    approver = service.principal("olga.oncall")
    done = service.decide(
        ApprovalDecision(request_id=request["id"], decision="reject", approver=approver.ref, comment="freeze"),
        approver,
    )
    assert done.answer.startswith("I did not restart widget-api") and "freeze" in done.answer
    assert executions(service.runtime) == []


@pytest.mark.parametrize("question", ["write me a poem about kafka", "what is the meaning of life?"])
def test_unanswerable_asks_get_an_honest_offline_reply(service, question):
    result = service.ask(question, service.principal("wendy.owner"))
    assert result.tool_calls == []
    assert "needs a configured LLM" in result.answer
    assert "whether a widget service is healthy" in result.answer  # says what it can do
    assert "PORTAL_AGENT_MODEL" in result.answer


def test_planner_streams_the_answer_in_pieces(tmp_path):
    runtime = make_runtime(tmp_path, with_intents=True)
    planner = OfflinePlanner(runtime=runtime)
    messages = [SystemMessage(content="sys"), HumanMessage(content="write me a poem")]
    chunks = list(planner.stream(messages))
    assert len(chunks) > 3
    assert "".join(c.content for c in chunks) == planner.invoke(messages).content


def test_planner_binds_tools_like_a_chat_model(tmp_path):
    runtime = make_runtime(tmp_path, with_intents=True)
    bound = OfflinePlanner(runtime=runtime).bind_tools([t.model_schema() for t in runtime.tools.values()])
    message = bound.invoke([HumanMessage(content="is widget-api healthy")])
    assert message.tool_calls[0]["name"] == "widget_status"


def test_async_planner_gives_the_same_plan_and_pieces_without_a_thread(tmp_path):
    """ainvoke/astream run on the event loop's own thread (no executor hop) and match the sync calls."""
    import asyncio
    import threading

    runtime = make_runtime(tmp_path, with_intents=True)
    planner = OfflinePlanner(runtime=runtime)
    calls = [SystemMessage(content="sys"), HumanMessage(content="is widget-api healthy")]
    answer = [SystemMessage(content="sys"), HumanMessage(content="write me a poem")]
    threads: set[int] = set()
    original = planner.plan_message

    def recording(*args, **kwargs):
        threads.add(threading.get_ident())
        return original(*args, **kwargs)

    object.__setattr__(planner, "plan_message", recording)

    async def run():
        loop_thread = threading.get_ident()
        message = await planner.bind_tools([t.model_schema() for t in runtime.tools.values()]).ainvoke(calls)
        chunks = [chunk async for chunk in planner.astream(answer)]
        return loop_thread, message, chunks

    loop_thread, message, chunks = asyncio.run(run())
    assert threads == {loop_thread}
    assert message.tool_calls[0]["name"] == "widget_status"
    assert len(chunks) > 3
    assert "".join(c.content for c in chunks) == planner.invoke(answer).content


@pytest.mark.parametrize("follow_up", ["what about widget-lab?", "and widget-lab?", "same for widget-lab"])
def test_a_follow_up_naming_only_another_entity_repeats_the_previous_question(service, follow_up):
    principal = service.principal("wendy.owner")
    first = service.ask("is widget-api healthy?", principal)
    again = service.ask(follow_up, principal, thread_id=first.thread_id)
    assert again.tool_calls == [{"name": "widget_status", "args": {"name": "widget-lab"}}]
    assert again.answer == "widget-lab (component:default/widget-lab) is healthy."


def test_openers_do_not_hide_the_question(tmp_path):
    from contract.intents import PlanState
    from contract.principal import Principal

    runtime = Runtime(Settings(data_dir=tmp_path, demo=True))
    for text, intent in [
        ("and what uses orders-db?", "catalog.dependents"),
        ("ok thanks. who's behind promotions?", "catalog.owner"),
        ("cool, and who else is in team-payments?", "catalog.group"),
    ]:
        state = PlanState(
            utterance=text, principal=Principal.anonymous(), runtime=runtime, available_tools=set(runtime.tools)
        )
        routed = runtime.router.route(state)
        assert routed is not None and routed[0].name == intent, text


# --- which sources exist decides where an ask goes (issue 13) -------------------------------------
BASIC_CATALOG = Path(__file__).resolve().parents[1] / "catalog" / "data" / "basic"


def _route(runtime, text: str):
    from contract.intents import PlanState
    from contract.principal import Principal

    state = PlanState(
        utterance=text, principal=Principal.anonymous(), runtime=runtime, available_tools=set(runtime.tools)
    )
    return runtime.router.route(state)


def _setup_line(runtime, family: str) -> str:
    line = runtime.family(family).unconfigured
    return f"{line[:1].upper()}{line[1:]}."


@pytest.mark.parametrize(
    "question, family",
    [
        ("how do I rotate the checkout API key?", "docs"),
        ("what did checkout cost last month?", "cost"),
        ("restart checkout", "kubernetes"),
        ("run the crashloop runbook for checkout", "runbooks"),
        ("which software templates can I use?", "scaffolder"),
    ],
)
def test_an_ask_for_a_family_with_no_source_gets_one_line_naming_its_setting(tmp_path, question, family):
    service = AgentService(Runtime(Settings(data_dir=tmp_path, catalog=[str(BASIC_CATALOG)])))
    result = service.ask(question, service.principal("user:default/jane.doe"))
    assert result.tool_calls == []
    assert result.answer == _setup_line(service.runtime, family)
    assert "PORTAL_AGENT_" in result.answer


@pytest.mark.parametrize(
    "question", ["what is plantuml?", "who owns the diagram renderer?", "how do I add a mermaid diagram?"]
)
def test_with_only_docs_configured_docs_questions_go_to_the_docs(tmp_path, question):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Diagrams\n\nPlantUML and Mermaid diagrams render in the docs.\n")
    runtime = Runtime(Settings(data_dir=tmp_path / "data", docs=[str(docs)]))
    route = _route(runtime, question)
    assert route is not None and route.live and route.intent.family == "docs"


def test_with_only_a_catalog_catalog_questions_go_to_the_catalog(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path, catalog=[str(BASIC_CATALOG)]))
    for question in ("who owns checkout?", "what does checkout depend on?", "what is payments-api?"):
        route = _route(runtime, question)
        assert route is not None and route.live and route.intent.family == "catalog", question


def test_a_create_request_naming_its_owner_and_fields_goes_to_the_scaffolder(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path, demo=True))
    for question in (
        "create a new spring boot grpc service called ledger owned by team-payments with java package io.acme.ledger",
        "use the python-fastapi-service template to make a service called invoice-api, owner team-billing",
    ):
        assert _route(runtime, question).intent.name == "scaffolder.create", question
    # A change to an existing service is not a creation: its owner is asked for.
    asked = "I'd like to make a change to the image-resizer service, which team looks after it?"
    assert _route(runtime, asked).intent.name == "catalog.owner"


# --- fallback: a name the catalog does not know may be a documented topic --------------------------
NOTES = {"flux capacitor": "The flux capacitor is looked after by the time-travel guild (#time-travel)."}


class NotesArgs(BaseModel):
    query: str


def _notes_family(live: bool = True) -> ToolFamily:
    """A stand-in docs family: one search over NOTES, one intent that quotes the match (or says none)."""
    from contract.intents import Answer, CallTools, Intent, ToolCallSpec
    from contract.tooling import PortalTool, ToolResult

    def search(args: NotesArgs, ctx) -> ToolResult:
        hits = [text for topic, text in NOTES.items() if topic in args.query.lower()]
        return ToolResult(data={"hits": hits})

    def plan(state):
        result = state.result_of("notes_search")
        if result is None:
            return CallTools(calls=[ToolCallSpec(name="notes_search", args={"query": state.slots["query"]})])
        hits = result.data["hits"]
        return Answer(text=f"From the notes: {hits[0]}") if hits else Answer(text="The notes say nothing.", found=False)

    intent = Intent(
        name="notes.search",
        family="docs",
        summary="what the notes say",
        examples=["what do the notes say about deploys", "how do I roll back a release"],
        extract=lambda state: {"query": state.utterance} if len(state.utterance.split()) > 1 else None,
        plan=plan,
        requires=("notes_search",),
    )
    tool = PortalTool(
        name="notes_search", description="Search the notes.", args_schema=NotesArgs, func=search, family="docs"
    )
    return ToolFamily(
        name="docs",
        tools=lambda rt: [tool],
        intents=lambda rt: [intent],
        live=lambda rt: live,
        unconfigured="no notes are configured — set NOTES",
    )


def _catalog_and_notes(tmp_path, *, catalog: bool = True, notes_live: bool = True) -> AgentService:
    from tools.catalog import family as catalog_family

    # Without a catalog, some other source must be configured, or the demo organisation is used.
    settings = Settings(data_dir=tmp_path, catalog=[str(BASIC_CATALOG)] if catalog else [], runbooks=[str(tmp_path)])
    families = [catalog_family, _notes_family(notes_live)]
    return AgentService(Runtime(settings, extra_families=families, builtin_families=False))


def test_when_the_catalog_has_no_such_name_the_docs_are_searched_before_saying_so(tmp_path):
    service = _catalog_and_notes(tmp_path)
    result = service.ask("who owns the flux capacitor?", service.principal("user:default/jane.doe"))
    assert [c["name"] for c in result.tool_calls] == ["catalog_search", "notes_search"]
    assert result.answer.startswith("Nothing in the catalog matched 'flux capacitor'.")
    assert result.answer.endswith(f"From the notes: {NOTES['flux capacitor']}")


def test_no_fallback_to_a_family_without_data(tmp_path):
    service = _catalog_and_notes(tmp_path, notes_live=False)
    result = service.ask("who owns the flux capacitor?", service.principal("user:default/jane.doe"))
    assert [c["name"] for c in result.tool_calls] == ["catalog_search"]
    assert result.answer.startswith("Nothing in the catalog matched 'flux capacitor'.")


def test_without_a_catalog_its_asks_go_to_the_docs_and_name_the_catalog_setting_when_they_find_nothing(tmp_path):
    service = _catalog_and_notes(tmp_path, catalog=False)
    jane = service.principal("user:default/jane.doe")
    found = service.ask("who owns the flux capacitor?", jane)
    assert [c["name"] for c in found.tool_calls] == ["notes_search"]
    assert found.answer == f"From the notes: {NOTES['flux capacitor']}"
    missing = service.ask("who owns checkout?", jane)
    assert [c["name"] for c in missing.tool_calls] == ["notes_search"]
    assert missing.answer == f"The notes say nothing.\n\n{_setup_line(service.runtime, 'catalog')}"


# --- compound questions ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    runtime = Runtime(Settings(data_dir=tmp_path_factory.mktemp("demo"), demo=True))
    return AgentService(runtime)


def test_each_part_of_a_compound_question_is_answered_and_the_second_may_point_into_the_first(demo):
    result = demo.ask("which system is checkout in, and who owns that system?", demo.principal("user:default/guest"))
    assert result.tool_calls == [
        {"name": "catalog_get_entity", "args": {"ref": "component:default/checkout"}},
        {"name": "catalog_owner", "args": {"ref": "system:default/shopping"}},
    ]
    first, second = result.answer.split("\n\n", 1)
    assert "part of shopping (system:default/shopping)" in first
    assert second.startswith("shopping (system:default/shopping) is owned by")
    assert result.refs[0] == "system:default/shopping"  # "it" in a follow-up: what was asked about last


def test_parts_do_not_read_each_others_results(demo):
    result = demo.ask("who is on call for checkout, and who owns orders-db?", demo.principal("user:default/guest"))
    assert [(c["name"], c["args"]["ref"]) for c in result.tool_calls] == [
        ("catalog_owner", "component:default/checkout"),
        ("catalog_owner", "resource:default/orders-db"),
    ]
    oncall, owner = result.answer.split("\n\n", 1)
    assert oncall.startswith("On call for checkout") and "orders-db" not in oncall
    assert owner.startswith("orders-db (resource:default/orders-db) is owned by")


@pytest.mark.parametrize(
    "question",
    [
        "who owns checkout and what's their email?",  # the owner answer has the email: one part
        "checkout is slow, who do I page?",  # a report, then the question
        "who owns checkout and payments?",  # one question about two entities
    ],
)
def test_questions_that_are_not_compound_stay_whole(demo, question):
    result = demo.ask(question, demo.principal("user:default/guest"))
    assert {c["name"] for c in result.tool_calls} == {"catalog_owner"}
    assert len(result.answer.split("\n\n")) == len({c["args"]["ref"] for c in result.tool_calls})


def test_which_domain_a_system_is_in_is_about_the_system_not_its_contents(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path, demo=True))
    for question in ("what domain is the shopping system part of?", "which domain is the shopping system in?"):
        assert _route(runtime, question).intent.name == "catalog.describe", question
    assert _route(runtime, "what's in the shopping system?").intent.name == "catalog.system_contents"
