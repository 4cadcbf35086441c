"""CrashLoopBackOff analyzer: exit code and last log lines as evidence."""

from tests.support.kubernetes import deployment, ev, fixture, items, pods_of
from tools.kubernetes.analyzers import Snapshot
from tools.kubernetes.analyzers.crashloop import analyzer


def test_crashloop_reports_exit_code_and_error_line():
    dep = deployment("checkout", "commerce")
    rs, pods = pods_of(dep, "crashloop", restarts=8, exitCode=1)
    log = "INFO starting\nERROR config error: required environment variable PAYMENTS_GRPC_TARGET is not set\n"
    snap = Snapshot(
        name="checkout",
        deployments=[dep],
        replicasets=[rs],
        pods=pods,
        events=[ev(pods[0], "BackOff", "Back-off restarting failed container checkout", count=40)],
        logs={(pods[0]["metadata"]["name"], "checkout", True): log},
    )
    [finding] = analyzer.analyze(snap)
    assert finding.mode == "CrashLoopBackOff" and finding.severity == "critical"
    assert "code 1" in finding.summary and "PAYMENTS_GRPC_TARGET" in finding.summary
    fields = {e.field: e.value for e in finding.evidence if e.field}
    assert fields["status.containerStatuses[checkout].lastState.terminated.exitCode"].startswith("1")
    assert fields["status.containerStatuses[checkout].restartCount"] == "8"
    assert any(e.event and e.event.startswith("BackOff (x40)") for e in finding.evidence)
    assert any(r.tool == "k8s_rollback" for r in finding.remediations)
    assert finding.runbooks == ["crashloop"]


def test_healthy_and_oomkilled_pods_are_not_crashloops():
    dep = deployment()
    _, healthy = pods_of(dep)
    _, oom = pods_of(dep, "oomkilled", restarts=3)
    for pod in oom:  # an OOM kill in back-off belongs to the OOMKilled analyzer
        pod["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
    assert analyzer.analyze(Snapshot(name="web", pods=healthy)) == []
    assert analyzer.analyze(Snapshot(name="web", pods=oom)) == []


def test_real_troubleshoot_crash_bundle():
    pods = items(
        fixture("replicatedhq__troubleshoot/support-bundle-2025-08-09T21_08_25/cluster-resources/pods/test-crash.json")
    )
    events = items(
        fixture(
            "replicatedhq__troubleshoot/support-bundle-2025-08-09T21_08_25/cluster-resources/events/test-crash.json"
        )
    )
    [finding] = analyzer.analyze(Snapshot(name="test-crash", pods=pods, events=events))
    assert "failing-app" in finding.summary and "code 1" in finding.summary
    assert any(e.value == "22" for e in finding.evidence if e.field and e.field.endswith("restartCount"))
    assert any(e.event and e.event.startswith("BackOff") for e in finding.evidence)


def test_real_argo_crashloop_pod():
    pod = fixture("argoproj__gitops-engine/pkg/health/testdata/pod-crashloop.yaml")
    [finding] = analyzer.analyze(Snapshot(name="my-pod", pods=[pod]))
    assert "code 1" in finding.summary
