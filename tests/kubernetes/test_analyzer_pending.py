"""Pending / Unschedulable analyzer: the scheduler's reason, and what it implies."""

from tests.support.kubernetes import deployment, ev, fixture, items, pods_of
from tools.kubernetes.analyzers import Snapshot
from tools.kubernetes.analyzers.pending import analyzer

GPU = (
    "0/9 nodes are available: 9 Insufficient nvidia.com/gpu. preemption: 0/9 nodes are available: "
    "9 No preemption victims found for incoming pod."
)


def test_insufficient_gpu():
    dep = deployment(
        "recommendations-model",
        "data",
        resources={"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}},
    )
    rs, pods = pods_of(dep, "pending", message=GPU)
    snap = Snapshot(
        name="recommendations-model",
        deployments=[dep],
        replicasets=[rs],
        pods=pods,
        events=[ev(pods[0], "FailedScheduling", GPU, component="default-scheduler")],
    )
    [finding] = analyzer.analyze(snap)
    assert finding.mode == "Unschedulable"
    assert "9 Insufficient nvidia.com/gpu" in finding.summary and "preemption" not in finding.summary
    assert any(e.field and e.field.endswith("requests.nvidia.com/gpu") and e.value == "1" for e in finding.evidence)
    assert "GPU node group" in finding.remediations[0].text


def test_image_problems_are_not_scheduling_problems():
    _, pods = pods_of(deployment(), "imagepull")
    assert analyzer.analyze(Snapshot(name="web", pods=pods)) == []


def test_real_taint_and_ports():
    pod = fixture(
        "openshift__insights-operator/docs/insights-archive-sample/config/pod/openshift-ingress/"
        "router-default-7bbdcfcf9b-7xdln.json"
    )
    [finding] = analyzer.analyze(Snapshot(name="router", pods=[pod]))
    texts = " ".join(r.text for r in finding.remediations)
    assert "taints" in texts and "host port" in texts


def test_real_insufficient_cpu_bundle():
    pods = items(
        fixture(
            "replicatedhq__troubleshoot/real-support-bundles/support-bundle-2025-09-11T15_54_39/"
            "cluster-resources/pods/default.json"
        )
    )
    events = items(
        fixture(
            "replicatedhq__troubleshoot/real-support-bundles/support-bundle-2025-09-11T15_54_39/"
            "cluster-resources/events/default.json"
        )
    )
    pending = [p for p in pods if p["metadata"]["name"].startswith("cpu-intensive-app")]
    [finding] = analyzer.analyze(Snapshot(name="cpu-intensive-app", pods=pending, events=events))
    assert "Insufficient cpu" in finding.summary


def test_real_node_affinity():
    pods = items(fixture("replicatedhq__troubleshoot/pkg/analyze/files/pods/message-pending-node-affinity.json"))
    [finding] = analyzer.analyze(Snapshot(name="x", pods=pods))
    assert "affinity/selector" in finding.remediations[0].text
