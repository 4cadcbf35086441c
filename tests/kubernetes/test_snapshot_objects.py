"""Questions about any object of a captured cluster: objects known only from their events (a deleted
pod, a node), pod owners (a ReplicaSet, a Job), Jobs, HPAs, PVCs, namespaces, and listings of
pods by namespace, node or state. Small hand-written objects in real shapes; one test also runs
over the real captures in ../shared when present."""

from __future__ import annotations

import json

import pytest

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings
from tests.support.paths import SHARED_FIXTURES
from tools.kubernetes.analyzers import analyze
from tools.kubernetes.analyzers.base import Snapshot

REAL = SHARED_FIXTURES / "kubernetes"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is absent (real Kubernetes captures)")


def _pod(name, ns, *, node=None, phase="Running", ready=True, owner=None, containers=None, statuses=None, **extra):
    meta = {"name": name, "namespace": ns, "uid": f"uid-{name}", "labels": {"app": name.split("-")[0]}}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    status = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": statuses or [],
        **extra,
    }
    spec = {"containers": containers or [{"name": "app", "image": "app:1"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _event(name, ns, kind, obj, reason, message, *, count=1, type_="Warning", when="2024-05-01T10:00:00Z"):
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": kind, "name": obj, **({"namespace": ns} if kind != "Node" else {})},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "lastTimestamp": when,
    }


CRASHING = {
    "name": "worker",
    "ready": False,
    "restartCount": 9,
    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
    "lastState": {
        "terminated": {
            "reason": "ContainerCannotRun",
            "exitCode": 127,
            "message": 'exec: "wrk": executable file not found in $PATH',
        }
    },
}
PODS = [
    _pod("api-7c9d8-aaaaa", "shop", node="node-a1", requests=None),
    _pod(
        "batch-5f6d7-bbbbb",
        "shop",
        phase="Pending",
        ready=False,
        owner=("ReplicaSet", "batch-5f6d7"),
        containers=[{"name": "app", "image": "batch:2", "resources": {"requests": {"cpu": "900m"}}}],
        conditions=[
            {"type": "Ready", "status": "False"},
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/2 nodes are available: 2 Insufficient cpu.",
            },
        ],
    ),
    _pod("worker-0", "shop", node="node-b2", ready=False, statuses=[CRASHING]),
    _pod(
        "migrate-x1y2z",
        "shop",
        node="node-b2",
        phase="Failed",
        ready=False,
        owner=("Job", "migrate"),
        statuses=[{"name": "app", "state": {"terminated": {"reason": "Error", "exitCode": 42}}}],
    ),
]
STATEFULSET = {  # its own labels do not match its selector: the named object is still the one described
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "cache-main", "namespace": "shop", "labels": {"chart": "cache-1.0"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "cache"}},
        "updateStrategy": {"type": "OnDelete"},
        "template": {"spec": {"containers": [{"name": "cache", "image": "redis:7.2.4"}]}},
    },
    "status": {"replicas": 1, "readyReplicas": 1},
}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "billing-api", "namespace": "shop"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "billing"}},
        "template": {"spec": {"containers": [{"name": "api", "image": "billing:3"}]}},
    },
    "status": {
        "replicas": 2,
        "unavailableReplicas": 2,
        "conditions": [
            {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
            {
                "type": "ReplicaFailure",
                "status": "True",
                "reason": "FailedCreate",
                "message": 'pods "billing-api-6d5-" is forbidden: serviceaccount "billing" not found',
            },
        ],
    },
}
JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "nightly", "namespace": "shop"},
    "spec": {"backoffLimit": 2, "template": {"spec": {"containers": [{"name": "run", "image": "nightly:1"}]}}},
    "status": {
        "failed": 3,
        "conditions": [
            {
                "type": "Failed",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
            }
        ],
    },
}
HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "frontend-scaler", "namespace": "shop"},
    "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "frontend-web"}, "minReplicas": 1, "maxReplicas": 4},
    "status": {
        "currentReplicas": 1,
        "conditions": [
            {
                "type": "AbleToScale",
                "status": "False",
                "reason": "FailedGetScale",
                "message": 'deployments/scale.apps "frontend-old" not found',
            }
        ],
    },
}
PVCS = [
    {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": f"data-{i}", "namespace": "shop"},
        "spec": {"storageClassName": cls, "resources": {"requests": {"storage": "1Gi"}}},
        "status": {"phase": phase},
    }
    for i, (cls, phase) in enumerate([("fast", "Bound"), ("slow-hdd", "Pending")])
]
EVENTS = [
    _event(
        "e1", "shop", "Pod", "gone-6b7c8-qwert", "FailedScheduling", "0/3 nodes are available: 3 Insufficient memory."
    ),
    _event("e2", "default", "Node", "node-b2", "InvalidDiskCapacity", "invalid capacity 0 on image filesystem"),
    _event("e3", "shop", "Pod", "worker-0", "BackOff", "Back-off restarting failed container", count=57),
    _event("e4", "shop", "Pod", "api-7c9d8-aaaaa", "Unhealthy", "Readiness probe failed: 503", count=3),
    _event("e5", "shop", "Pod", "gone-6b7c8-qwert", "FailedMount", 'configmap "gone-config" not found', count=16),
    _event(
        "e6",
        "shop",
        "Pod",
        "old-9f8e7-zxcvb",
        "Scheduled",
        "Successfully assigned shop/old-9f8e7-zxcvb to node-c3",
        type_="Normal",
    ),
    # a pod of billing-api's earlier ReplicaSet, replaced since; and a pod of another workload whose
    # name merely starts with "billing-api-"
    _event(
        "e7", "shop", "Pod", "billing-api-7f9c4b6d5-x2k7q", "BackOff", "Back-off restarting failed container", count=41
    ),
    _event("e8", "shop", "Pod", "billing-api-gateway-x2k7q", "BackOff", "Back-off restarting gateway", count=5),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("objects")
    folder = tmp / "capture"
    folder.mkdir()
    items = [*PODS, STATEFULSET, DEPLOYMENT, JOB, HPA, *PVCS]
    (folder / "objects.json").write_text(json.dumps({"kind": "List", "items": items}))
    (folder / "events.json").write_text(json.dumps({"kind": "EventList", "items": EVENTS}))
    settings = Settings(data_dir=tmp / "data", kubernetes_snapshot=[str(folder)], demo=False)
    return AgentService(Runtime(settings))


def ask(service, text, thread=None):
    turn = service.ask(text, service.principal(), thread_id=thread)
    return turn, [c["name"] for c in turn.tool_calls]


# --- objects known only from their events ------------------------------------------------------
def test_a_pod_known_only_from_its_events_is_diagnosed_from_them(service):
    turn, tools = ask(service, "why couldn't gone-6b7c8-qwert be scheduled?")
    assert tools == ["k8s_diagnose"]
    assert "Insufficient memory" in turn.answer
    follow, tools = ask(service, "when was that recorded?", thread=turn.thread_id)
    assert tools == ["k8s_events"] and "2024-05-01T10:00:00Z" in follow.answer


def test_the_node_of_a_pod_known_only_from_events_comes_from_its_scheduled_event(service):
    turn, tools = ask(service, "which node was old-9f8e7-zxcvb on?")
    assert tools == ["k8s_describe"] and "scheduled on node node-c3" in turn.answer


def test_events_of_a_node_are_found_by_its_name(service):
    turn, tools = ask(service, "any warnings recorded against node node-b2?")
    assert tools == ["k8s_events"]
    assert "InvalidDiskCapacity" in turn.answer and "image filesystem" in turn.answer


def test_how_many_times_sorts_events_by_count(service):
    turn, _ = ask(service, "gone-6b7c8-qwert won't start, any events?")
    assert "gone-config" in turn.answer
    follow, tools = ask(service, "how many times has that happened?", thread=turn.thread_id)
    assert tools == ["k8s_events"] and "x16" in follow.answer
    assert follow.answer.index("FailedMount") < follow.answer.index("FailedScheduling")  # most frequent first


# --- named workloads, Jobs, owners, HPAs -------------------------------------------------------
def test_a_named_statefulset_is_described_even_when_its_labels_miss_its_selector(service):
    turn, tools = ask(service, "what image is the cache-main statefulset running, and its update strategy?")
    assert tools == ["k8s_describe"]
    assert "redis:7.2.4" in turn.answer and "OnDelete" in turn.answer


def test_a_deployment_says_how_many_replicas_are_available(service):
    turn, _ = ask(service, "how many of billing-api's replicas are available?")
    assert "available 0/2" in turn.answer


def test_a_deployment_that_cannot_create_pods_names_the_replica_failure(service):
    turn, tools = ask(service, "billing-api deployment has no pods — why?")
    assert tools == ["k8s_diagnose"]
    assert "ReplicaFailure" in turn.answer and 'serviceaccount "billing" not found' in turn.answer


def test_a_job_by_kind_and_plain_name(service):
    turn, tools = ask(service, "Job 'nightly' in shop: status?")
    assert tools == ["k8s_describe"] and "BackoffLimitExceeded" in turn.answer
    turn, tools = ask(service, "nightly job failed, why?")
    assert tools == ["k8s_diagnose"] and "JobFailed" in turn.answer and "BackoffLimitExceeded" in turn.answer


def test_a_job_known_only_as_its_pods_owner_shows_their_exit_codes(service):
    turn, tools = ask(service, "the migrate job pods show Failed. what exit code do they die with?")
    assert tools == ["k8s_describe"] and "exit code 42" in turn.answer


def test_a_replicaset_name_stands_for_the_pods_it_owns(service):
    turn, tools = ask(service, "why are the batch-5f6d7 pods Unschedulable?")
    assert tools == ["k8s_diagnose"] and "Insufficient cpu" in turn.answer


def test_the_hpa_of_a_workload_is_found_by_the_workload_name(service):
    turn, tools = ask(service, "The HPA that targets frontend-web — is it able to scale?")
    assert tools == ["k8s_describe"]
    assert "FailedGetScale" in turn.answer and "frontend-old" in turn.answer
    turn, tools = ask(service, "why can't the HPA 'frontend-scaler' scale?")
    assert tools == ["k8s_diagnose"] and "HPACannotScale" in turn.answer


def _tool(service, name, args):
    from contract.principal import Principal
    from contract.tooling import ToolContext

    ctx = ToolContext(runtime=service.runtime, principal=Principal(ref="user:default/guest", via="test"))
    return service.runtime.tools[name].run(args, ctx)


def test_the_events_of_a_workload_include_those_of_its_replaced_pods(service):
    result = _tool(service, "k8s_events", {"name": "deployment:shop/billing-api", "by_count": True})
    assert result.ok
    assert any("billing-api-7f9c4b6d5-x2k7q" in row and "x41" in row for row in result.data["events"])
    assert not any("gateway" in row for row in result.data["events"])  # another workload's pod


def test_a_listing_of_hpas_says_why_one_cannot_scale(service):
    result = _tool(service, "k8s_list", {"kind": "HorizontalPodAutoscaler"})
    assert result.ok
    (row,) = result.data["rows"]
    assert "AbleToScale=False FailedGetScale" in row and 'deployments/scale.apps "frontend-old" not found' in row


def test_a_crash_loop_states_the_last_termination_message(service):
    turn, tools = ask(service, "worker-0 is crash looping — root cause?")
    assert tools == ["k8s_diagnose"] and '"wrk": executable file not found' in turn.answer


# --- namespaces and listings -------------------------------------------------------------------
def test_whats_wrong_in_a_namespace_diagnoses_all_of_it(service):
    turn, tools = ask(service, "what's wrong in namespace shop?")
    assert tools == ["k8s_diagnose"]
    assert "ReplicaFailure" in turn.answer and "CrashLoopBackOff" in turn.answer  # every finding of the namespace
    assert "Pod shop/worker-0" in turn.answer  # and which object each one is about


def test_pending_pods_of_a_namespace_are_listed_with_the_reason_and_follow_ups_use_them(service):
    turn, tools = ask(service, "which pods in shop are stuck Pending and why?")
    assert tools == ["k8s_list"]
    assert "batch-5f6d7-bbbbb" in turn.answer and "Insufficient cpu" in turn.answer
    assert "worker-0" not in turn.answer  # only the pending ones
    follow, tools = ask(service, "how much CPU does each of those request?", thread=turn.thread_id)
    assert tools == ["k8s_describe"] and "900m" in follow.answer


def test_pods_on_a_node_and_not_ready_pods(service):
    turn, tools = ask(service, "which pods are scheduled on node-b2?")
    assert tools == ["k8s_list"]
    assert "worker-0" in turn.answer and "migrate-x1y2z" in turn.answer and "api-7c9d8" not in turn.answer
    turn, _ = ask(service, "which pods in shop are not ready?")
    assert "worker-0" in turn.answer and "api-7c9d8-aaaaa" not in turn.answer
    assert "migrate-x1y2z" not in turn.answer or "Failed" in turn.answer


def test_listing_filters_restarted_pods_and_failing_workloads(service):
    turn, tools = ask(service, "which pods in shop have restarted?")
    assert tools == ["k8s_list"] and "worker-0" in turn.answer and "restarts 9" in turn.answer
    assert "api-7c9d8-aaaaa" not in turn.answer
    turn, _ = ask(service, "which deployments are failing?")
    assert "billing-api" in turn.answer  # short of ready replicas counts as failing, not only a Failed condition


def test_which_pvc_is_pending(service):
    turn, tools = ask(service, "which PVC is pending?")
    assert tools == ["k8s_list"] and "data-1" in turn.answer and "slow-hdd" in turn.answer
    assert "data-0" not in turn.answer


def test_why_is_a_claim_pending_names_its_storage_class(service):
    turn, tools = ask(service, "why is data-1 pending?")
    assert tools == ["k8s_diagnose"] and "PVCPending" in turn.answer and "slow-hdd" in turn.answer


def test_a_singular_kind_word_names_one_pod_even_when_a_namespace_shares_its_name(tmp_path):
    pod = _pod("shop", "shop", node="n1", ready=False, statuses=[CRASHING])
    folder = tmp_path / "capture"
    folder.mkdir()
    (folder / "pods.json").write_text(json.dumps({"kind": "List", "items": [pod, PODS[0]]}))
    settings = Settings(data_dir=tmp_path / "data", kubernetes_snapshot=[str(folder)], demo=False)
    turn, tools = ask(AgentService(Runtime(settings)), "what's wrong with the shop pod?")
    assert tools == ["k8s_diagnose"] and turn.tool_calls[0]["args"]["name"] == "pod:shop/shop"


def test_a_listing_with_nothing_in_that_state_says_so(service):
    turn, tools = ask(service, "which pods in shop are crash looping?")
    assert "worker-0" in turn.answer
    turn, tools = ask(service, "which jobs in shop are running?")
    assert tools == ["k8s_list"] and turn.answer.startswith("No Job objects")


def test_the_pods_of_an_unknown_thing_are_not_a_listing_of_the_cluster(service):
    _, tools = ask(service, "show me the pods of search")
    assert "k8s_list" not in tools


# --- analyzers on their own --------------------------------------------------------------------
def test_warning_events_are_the_fallback_only_when_nothing_else_is_found():
    subject = {"kind": "Pod", "metadata": {"name": "gone", "namespace": "shop"}}
    ev = _event("e", "shop", "Pod", "gone", "Unhealthy", "Readiness probe failed: connection refused", count=4)
    findings = analyze(Snapshot(name="gone", namespace="shop", subjects=[subject], events=[ev]))
    assert [f.mode for f in findings] == ["WarningEvents"] and "connection refused" in findings[0].summary
    healthy = _pod("ok-1", "shop", node="n")
    quiet = analyze(Snapshot(name="ok", namespace="shop", pods=[healthy], events=[ev]))
    assert quiet == []  # healthy pods: old warnings are not a diagnosis


@needs_real
def test_real_captures_answer_event_only_pods_jobs_and_listings(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", kubernetes_snapshot=[str(REAL)], demo=False)
    service = AgentService(Runtime(settings))
    turn, _ = ask(service, "why did the readiness probe fail for metrics-server-6f4c6675d5-98986?")
    assert "connection refused" in turn.answer
    turn, _ = ask(service, "which pods in velero are not ready?")
    assert "velero-6996dd565b-xl44t" in turn.answer and "CrashLoopBackOff" in turn.answer
    turn, _ = ask(service, "what image is the redis-master statefulset running?")
    assert "redis:4.0.10-debian-9" in turn.answer


# --- changes need one workload -----------------------------------------------------------------
def test_no_change_is_planned_for_a_namespace_owner_or_events_only_target(runtime):
    """On a live cluster, "restart namespace commerce" must not restart whatever the namespace holds."""
    from contract.principal import Principal
    from contract.tooling import ToolContext
    from tools.kubernetes.args import EntityArgs
    from tools.kubernetes.remediations import REMEDIATIONS

    ctx = ToolContext(runtime=runtime, principal=Principal(ref="user:default/marco.bianchi"))
    preview = REMEDIATIONS["k8s_rollout_restart"].preview(EntityArgs(name="namespace:commerce"), ctx)
    assert not preview.ok and "not one workload" in (preview.error or "")
