"""The offline planner drives the real graph: routing, multi-step plans, follow-ups, honesty."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from agent.approvals import ApprovalDecision
from agent.planner.model import OfflinePlanner
from agent.service import AgentService
from tests.agent.support import executions, make_runtime


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
    from agent.config import Settings
    from agent.identity import Principal
    from agent.planner.intents import PlanState
    from agent.runtime import Runtime

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
