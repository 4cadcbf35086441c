"""OOMKilled analyzer: the memory limit against usage, and what to change."""

from tests.support.kubernetes import deployment, fixture, items, pods_of
from tools.kubernetes.analyzers import Snapshot
from tools.kubernetes.analyzers.oomkilled import analyzer


def test_oomkilled_shows_limit_request_and_logged_usage():
    dep = deployment(
        "search-indexer",
        "discovery",
        resources={"requests": {"memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        env=[{"name": "REINDEX_BATCH_SIZE", "value": "5000"}],
    )
    rs, pods = pods_of(dep, "oomkilled", restarts=4)
    log = "INFO reindex\nWARN  heap usage 1003Mi of 1024Mi container limit\n"
    snap = Snapshot(
        name="search-indexer",
        deployments=[dep],
        replicasets=[rs],
        pods=pods,
        logs={(pods[0]["metadata"]["name"], "search-indexer", True): log},
    )
    [finding] = analyzer.analyze(snap)
    assert finding.mode == "OOMKilled"
    assert "1Gi" in finding.summary and "1003Mi of 1024Mi" in finding.summary
    values = {e.field: e.value for e in finding.evidence if e.field}
    assert values["spec.containers[search-indexer].resources.limits.memory"] == "1Gi"
    assert any("137" in (v or "") for v in values.values())
    texts = " ".join(r.text for r in finding.remediations)
    assert "1Gi → 2Gi" in texts and "REINDEX_BATCH_SIZE" in texts


def test_no_finding_without_oom():
    _, pods = pods_of(deployment(), restarts=2)
    assert analyzer.analyze(Snapshot(name="web", pods=pods)) == []


def test_real_oom_in_crashloop_bundle():
    pods = items(
        fixture("replicatedhq__troubleshoot/support-bundle-2025-08-09T21_08_25/cluster-resources/pods/test-oom.json")
    )
    [finding] = analyzer.analyze(Snapshot(name="memory-hog", pods=pods))
    assert "50Mi" in finding.summary and finding.severity == "critical"


def test_real_oom_in_terminated_state_of_a_job_pod():
    pods = items(fixture("replicatedhq__troubleshoot/pkg/analyze/files/pods/message-oomkill-pod.json"))
    [finding] = analyzer.analyze(Snapshot(name="oom-kill-job3", pods=pods))
    assert any(e.field and ".state.terminated.reason" in e.field for e in finding.evidence)
