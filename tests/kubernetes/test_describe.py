"""What a named pod is (kubectl describe), and failures no specific analyzer names, on a snapshot."""

from __future__ import annotations

import json

import pytest

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "migrate-7x2k9", "namespace": "jobs", "uid": "u-1"},
    "spec": {
        "nodeName": "worker-3",
        "containers": [
            {
                "name": "migrate",
                "image": "registry.example/migrate:1.4",
                "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m"}},
            }
        ],
    },
    "status": {
        "phase": "Failed",
        "containerStatuses": [
            {
                "name": "migrate",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"reason": "StartError", "exitCode": 128, "message": "exec: no such file"}},
            }
        ],
    },
}
EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "migrate.1", "namespace": "jobs"},
    "involvedObject": {"kind": "Pod", "name": "migrate-7x2k9", "namespace": "jobs", "uid": "u-1"},
    "reason": "Failed",
    "type": "Warning",
    "count": 4,
    "message": "Error: failed to start container migrate",
}


@pytest.fixture
def service(tmp_path):
    folder = tmp_path / "capture"
    folder.mkdir()
    (folder / "pods.json").write_text(json.dumps({"kind": "List", "items": [POD]}))
    (folder / "events.json").write_text(json.dumps({"kind": "EventList", "items": [EVENT]}))
    settings = Settings(data_dir=tmp_path / "data", kubernetes_snapshot=[str(folder)], demo=False)
    return AgentService(Runtime(settings))


def ask(service, text):
    turn = service.ask(text, service.principal())
    return turn.answer, [c["name"] for c in turn.tool_calls]


def test_a_named_pod_is_described_node_limits_exit_code_and_events(service):
    answer, tools = ask(service, "which node is migrate-7x2k9 running on?")
    assert tools == ["k8s_describe"]
    assert "worker-3" in answer and "memory=256Mi" in answer and "exit code 128" in answer
    assert "Failed (x4)" in answer or "x4" in answer
    assert "snapshot" in answer  # it says where it read this


def test_a_failure_no_specific_analyzer_names_is_still_reported(service):
    answer, tools = ask(service, "why did migrate-7x2k9 fail?")
    assert tools == ["k8s_diagnose"]
    assert "StartError" in answer and "no problem" not in answer.lower()


def test_diagnosis_never_says_no_problem_for_unhealthy_pods():
    from contract.intents import PlanState, StepResult
    from tools.kubernetes.intents import diagnosis

    step = StepResult(
        name="k8s_diagnose",
        args={},
        result={"ok": True, "data": {"findings": [], "healthy": False, "workload": "none", "pods": {"Pending": 1}}},
    )
    state = PlanState(utterance="why?", principal=None, runtime=None, slots={"ref": "pod:x"})
    answer = diagnosis(state, step)
    assert "not healthy" in answer.text and "no problem" not in answer.text and answer.found is False
