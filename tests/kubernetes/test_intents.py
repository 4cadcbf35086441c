"""The offline planner's Kubernetes intents end to end: routing, slots, follow-ups, and answers
composed only from tool results (demo catalog, stand-in cluster over HTTP)."""

from __future__ import annotations

import pytest

from agent.service import AgentService
from contract.intents import PlanState
from tests.support.kubernetes import runtime_for, start_server
from tools.kubernetes.intents import _replicas, extract_logs


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    server = start_server()
    yield AgentService(runtime_for(tmp_path_factory.mktemp("intents"), server))
    server.stop()


def ask(service, text, thread=None):
    return service.ask(text, service.principal("marco.bianchi"), thread_id=thread)


@pytest.mark.parametrize(
    ("question", "mode", "evidence"),
    [
        ("why is checkout crashlooping?", "CrashLoopBackOff", "PAYMENTS_GRPC_TARGET"),
        ("search-indexer keeps dying, what's wrong with it", "OOMKilled", "limits.memory=1Gi"),
        ("why can't promotions start", "ImagePullBackOff", "manifest unknown"),
        ("why are the recommendations-model pods pending", "Unschedulable", "Insufficient nvidia.com/gpu"),
        ("is reviews healthy?", "ReadinessProbeFailing", "pool exhausted"),
        ("why is notifications restarting so much", "HighRestarts", "context deadline exceeded"),
        ("what is wrong with inventory", "ProgressDeadlineExceeded", 'configmap "inventory-config-v3" not found'),
        ("why is search slow?", "HPAAtMax", "ScalingLimited]=True/TooManyReplicas"),
    ],
)
def test_diagnosis_answers_name_the_mode_and_its_evidence(service, question, mode, evidence):
    result = ask(service, question)
    assert [c["name"] for c in result.tool_calls] == ["k8s_diagnose"]
    assert f"**{mode}**" in result.answer and evidence in result.answer
    assert result.refs and result.refs[0].startswith("component:default/")


def test_follow_up_uses_the_focus(service):
    first = ask(service, "why is checkout crashlooping?")
    logs = ask(service, "and its logs?", thread=first.thread_id)
    [call] = logs.tool_calls
    assert call["name"] == "k8s_logs" and call["args"]["name"] == "component:default/checkout"
    assert "PAYMENTS_GRPC_TARGET is not set" in logs.answer


def test_running_and_changes(service):
    running = ask(service, "what's running for payments?")
    assert "5/5 ready" in running.answer and "HPA payments: 5 replicas (min 3, max 10)" in running.answer
    changes = ask(service, "what changed in inventory?")
    assert "inventory:3.1.4 → registry.tessera.example/inventory:3.2.0" in changes.answer
    assert "envFrom changed" in changes.answer


def test_cluster_errors_become_the_answer(service):
    result = ask(service, "what's running for auth-sdk?")
    assert "not linked to Kubernetes workloads" in result.answer


def test_slots():
    assert _replicas("scale search to 12 replicas") == 12
    assert _replicas("scale it to five") == 5
    assert _replicas("set cart at 3 pods") == 3
    assert _replicas("scale cart up") is None


def test_log_slots(service):
    state = PlanState(
        utterance="show the last 50 lines of the previous checkout logs",
        principal=service.principal("marco.bianchi"),
        runtime=service.runtime,
    )
    assert extract_logs(state) == {"ref": "component:default/checkout", "tail": 50, "previous": True}


def test_cronjob_workloads(service):
    result = ask(service, "what's running for warehouse-sync?")
    assert "CronJob `commerce/warehouse-sync`: schedule 0 3 * * *" in result.answer
