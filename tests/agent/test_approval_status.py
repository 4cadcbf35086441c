""" "Did the restart happen?" is answered from this conversation's approval record, by the offline
planner through the read-only approval_status tool, through the real graph and stores."""

from __future__ import annotations

import pytest

from agent.gate.policy import ApprovalDecision
from agent.planner.model import OfflinePlanner
from agent.service import AgentService
from tests.support.agent import executions, make_runtime


@pytest.fixture
def service(tmp_path):
    runtime = make_runtime(tmp_path, with_intents=True, with_status=True)
    return AgentService(runtime, model=OfflinePlanner(runtime=runtime))


def decide(service, request, who, kind="approve"):
    approver = service.principal(who)
    made = ApprovalDecision(
        request_id=request["id"], decision=kind, approver=approver.ref, args_hash=request["args_hash"]
    )
    return service.decide(made, approver)


def ask(service, text, thread_id=None, who="wendy.owner"):
    return service.ask(text, service.principal(who), thread_id=thread_id)


def test_the_status_of_a_pending_then_executed_request(service):
    first = ask(service, "restart widget-api")
    request = first.interrupt["request"]
    other = ask(service, "restart widget-lab")  # another conversation's request is not reported
    decide(service, other.interrupt["request"], "olga.oncall", kind="reject")

    done = decide(service, request, "olga.oncall")
    assert done.answer == "Restarted widget-api." and len(executions(service.runtime)) == 1

    status = ask(service, "did the restart happen?", first.thread_id)
    assert [c["name"] for c in status.tool_calls] == ["approval_status"]
    assert request["id"] in status.answer and "approved by user:default/olga.oncall and executed" in status.answer
    assert other.interrupt["request"]["id"] not in status.answer
    assert status.refs == ["component:default/widget-api"]

    rejected = ask(service, "what happened to my request?", other.thread_id)
    assert "rejected by user:default/olga.oncall" in rejected.answer and "widget-lab" in rejected.answer


def test_an_expired_request_is_reported_as_expired(tmp_path):
    runtime = make_runtime(tmp_path, with_intents=True, with_status=True, approval_ttl_minutes=0)
    service = AgentService(runtime, model=OfflinePlanner(runtime=runtime))
    first = ask(service, "restart widget-api")
    status = ask(service, "was my request approved?", first.thread_id)  # closes the overdue request first
    assert "expired before anyone decided it; nothing ran" in status.answer
    assert executions(runtime) == []


def test_a_conversation_without_requests_says_so_plainly(service):
    answer = ask(service, "did the restart happen?")
    assert answer.answer.startswith("No change was requested in this conversation")
    assert [c["name"] for c in answer.tool_calls] == ["approval_status"]


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("did the restart happen?", "approval_status"),
        ("what happened to the widget-api restart?", "approval_status"),
        ("has my change been executed?", "approval_status"),
        ("restart widget-api", "restart_widget"),
        ("is widget-api healthy?", "widget_status"),
    ],
)
def test_questions_about_a_request_and_other_asks_are_told_apart(service, question, tool):
    assert [c["name"] for c in ask(service, question).tool_calls] == [tool]
