"""Questions about a change never request it: end to end through AgentService (offline planner,
demo catalog, the Kubernetes stand-in over HTTP). The four asks from the security review, more
phrasings, and the imperatives that still do request."""

from __future__ import annotations

import pytest

from agent.gate.policy import ApprovalDecision
from agent.service import AgentService
from tests.support.kubernetes import runtime_for, start_server
from tests.support.mood import NOT_REQUESTS, REQUESTS

MUTATING = {"k8s_rollout_restart", "k8s_scale", "k8s_rollback", "k8s_delete_pod", "k8s_cordon"}


@pytest.fixture(scope="module")
def cluster():
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory, cluster):
    return AgentService(runtime_for(tmp_path_factory.mktemp("questions"), cluster))


def ask(service, text, thread=None, who="marco.bianchi"):
    return service.ask(text, service.principal(who), thread_id=thread)


def changes(result) -> list[str]:
    return [c["name"] for c in result.tool_calls if c["name"] in MUTATING]


def test_what_happens_if_i_scale_to_zero_explains_the_scale(service, cluster):
    before = len(cluster.mutations())
    result = ask(service, "what happens if I scale checkout to 0?")
    assert changes(result) == [] and result.interrupt is None
    assert len(cluster.mutations()) == before  # not even a dry run was sent
    answer = result.answer
    assert "did not make or request" in answer
    assert '`k8s_scale(name="component:default/checkout", replicas=0)`' in answer
    assert "Scale a component's workload to N replicas" in answer  # what the action does
    assert "user:default/marco.bianchi" in answer and "group:default/team-platform" in answer  # who may approve
    assert "in production: whoever requests it may not approve it themselves" in answer
    assert 'e.g. "scale checkout to 0"' in answer  # how to ask for it: the question as a request
    assert result.refs == ["component:default/checkout"]


def test_who_can_approve_a_restart_names_the_approvers_without_requesting(service):
    result = ask(service, "who can approve a restart of checkout?")
    assert changes(result) == [] and result.interrupt is None
    approvers = service.gate.policy.approvers_for("component:default/checkout")
    assert f"Who could approve it: {', '.join(approvers)}." in result.answer
    assert 'e.g. "please rollout restart checkout"' in result.answer  # no request inside the question


def test_should_i_restart_does_not_request_a_restart(service):
    result = ask(service, "should I restart checkout?")
    assert changes(result) == [] and result.interrupt is None
    assert "**rollout restart** on component:default/checkout" in result.answer


def test_did_the_restart_happen_never_requests_one(service):
    marco = service.principal("marco.bianchi")
    requested = service.ask("restart checkout", marco)
    request = requested.interrupt["request"]
    hannah = service.principal("hannah.okafor")
    service.decide(
        ApprovalDecision(
            request_id=request["id"], decision="approve", approver=hannah.ref, args_hash=request["args_hash"]
        ),
        hannah,
    )
    follow_up = ask(service, "did the restart happen?", thread=requested.thread_id)
    assert changes(follow_up) == [] and follow_up.interrupt is None


@pytest.mark.parametrize(
    "question",
    [
        "what would happen if we restarted checkout",
        "is it safe to roll back checkout?",
        "can I scale search to 12 replicas?",
        "how about restarting notifications",
        "restart reviews?",
        "if I bounce notifications, will alerts fire?",
        "could you tell me what happens if I restart checkout",
        "has payments been restarted?",
    ],
)
def test_more_questions_about_changes_request_nothing(service, question):
    result = ask(service, question)
    assert changes(result) == [] and result.interrupt is None


def test_a_prohibition_is_acknowledged(service):
    result = ask(service, "don't restart checkout")
    assert changes(result) == [] and result.interrupt is None
    assert "I will not rollout restart component:default/checkout" in result.answer


@pytest.mark.parametrize(
    ("ask_text", "tool"),
    [
        ("please restart checkout", "k8s_rollout_restart"),
        ("can you restart checkout?", "k8s_rollout_restart"),
        ("could you scale checkout to 3", "k8s_scale"),
        ("scale search to 12 replicas", "k8s_scale"),
    ],
)
def test_imperatives_still_request_the_change(service, ask_text, tool):
    result = ask(service, ask_text)
    assert changes(result) == [tool] and result.interrupt["request"]["tool"] == tool


def test_the_suggested_ask_requests_exactly_the_change_explained(service):
    explained = ask(service, "what happens if I scale checkout to 0?")
    suggestion = explained.answer.split('e.g. "', 1)[1].split('"', 1)[0]
    result = ask(service, suggestion)
    [call] = [c for c in result.tool_calls if c["name"] in MUTATING]
    assert call == {"name": "k8s_scale", "args": {"name": "component:default/checkout", "replicas": 0}}


# --- the hook itself, over every phrasing of the classifier's table ----------------------------------
def _restart_step(service, utterance: str):
    from agent.planner.about_change import question_about_change
    from contract.intents import CallTools, PlanState, ToolCallSpec

    state = PlanState(utterance=utterance, principal=service.principal("marco.bianchi"), runtime=service.runtime)
    step = CallTools(calls=[ToolCallSpec(name="k8s_rollout_restart", args={"name": "component:default/checkout"})])
    return question_about_change(state, step)


@pytest.mark.parametrize("utterance", [u for u, _ in NOT_REQUESTS])
def test_the_planner_hook_answers_every_non_imperative_instead_of_restarting(service, utterance):
    answer = _restart_step(service, utterance)
    assert answer is not None and answer.refs == ["component:default/checkout"]


@pytest.mark.parametrize("utterance", REQUESTS)
def test_the_planner_hook_lets_every_imperative_through(service, utterance):
    assert _restart_step(service, utterance) is None


def test_read_only_calls_are_never_held_back(service):
    from agent.planner.about_change import question_about_change
    from contract.intents import CallTools, PlanState, ToolCallSpec

    state = PlanState(
        utterance="should I look at checkout?", principal=service.principal("marco.bianchi"), runtime=service.runtime
    )
    step = CallTools(calls=[ToolCallSpec(name="k8s_workloads", args={"name": "component:default/checkout"})])
    assert question_about_change(state, step) is None


@pytest.mark.parametrize(
    ("question", "suggestion"),
    [
        ("who can approve a rollback of checkout to revision 12?", "please rollback checkout revision=12"),
        ("what happens if I roll back checkout to revision 12?", "roll back checkout to revision 12"),
    ],
)
def test_a_rollback_question_names_the_revision_and_the_suggested_ask_keeps_it(service, question, suggestion):
    explained = ask(service, question)
    assert changes(explained) == [] and explained.interrupt is None
    assert '`k8s_rollback(name="component:default/checkout", revision=12)`' in explained.answer
    assert explained.answer.split('e.g. "', 1)[1].split('"', 1)[0] == suggestion
    result = ask(service, suggestion)
    [call] = [c for c in result.tool_calls if c["name"] in MUTATING]
    assert call == {"name": "k8s_rollback", "args": {"name": "component:default/checkout", "revision": 12}}
