"""High-restarts analyzer: containers that are up now but keep getting killed."""

from tests.support.kubernetes import deployment, ev, fixture, items, pods_of
from tools.kubernetes.analyzers import Snapshot
from tools.kubernetes.analyzers.restarts import RestartsAnalyzer, analyzer


def test_liveness_timeouts_explain_the_restarts():
    dep = deployment("notifications", "platform")
    rs, pods = pods_of(dep, "livenessrestarts", restarts=57)
    events = [
        ev(
            pods[0],
            "Unhealthy",
            'Liveness probe failed: Get "http://10.0.0.1:8080/live": context deadline '
            "exceeded (Client.Timeout exceeded while awaiting headers)",
            count=171,
        )
    ]
    [finding] = analyzer.analyze(
        Snapshot(name="notifications", deployments=[dep], replicasets=[rs], pods=pods, events=events)
    )
    assert finding.mode == "HighRestarts" and "57" in finding.summary
    assert "liveness" in finding.summary and "timeoutSeconds 1" in finding.summary
    assert any("timeoutSeconds" in r.text for r in finding.remediations)


def test_threshold_and_exclusions():
    _, few = pods_of(deployment(), restarts=2)
    _, crashing = pods_of(deployment(), "crashloop", restarts=30)
    assert analyzer.analyze(Snapshot(name="web", pods=few)) == []
    assert analyzer.analyze(Snapshot(name="web", pods=crashing)) == []  # the crash-loop analyzer's
    assert RestartsAnalyzer(threshold=2).analyze(Snapshot(name="web", pods=few))


def test_real_nri_pods_running_with_restarts_do_not_crash():
    pods = items(fixture("newrelic__nri-kubernetes/internal/testutil/data/1_34/pods.yaml"))
    findings = RestartsAnalyzer(threshold=1).analyze(Snapshot(name="x", pods=pods))
    for finding in findings:  # whatever it finds in real data is well-formed evidence
        assert finding.evidence and finding.evidence[0].field.endswith("restartCount")
