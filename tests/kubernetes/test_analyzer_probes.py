"""Failing readiness probe analyzer: running but not ready, with the probe, event and log line."""

from tests.support.kubernetes import deployment, ev, fixture, pods_of
from tools.kubernetes.analyzers import Snapshot
from tools.kubernetes.analyzers.probes import analyzer


def test_readiness_probe_failing_on_every_pod():
    dep = deployment("reviews", "discovery", replicas=3)
    rs, pods = pods_of(dep, "notready")
    events = [
        ev(p, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", count=412) for p in pods
    ]
    log = "INFO GET /v1/reviews 200\nERROR readiness: catalog-db pool exhausted (20/20 connections in use)\n"
    snap = Snapshot(
        name="reviews",
        deployments=[dep],
        replicasets=[rs],
        pods=pods,
        events=events,
        logs={(pods[0]["metadata"]["name"], "reviews", False): log},
    )
    [finding] = analyzer.analyze(snap)
    assert finding.mode == "ReadinessProbeFailing" and finding.severity == "critical"
    assert "3/3" in finding.summary and "statuscode: 503" in finding.summary
    assert "pool exhausted" in finding.summary and "no ready endpoints" in finding.summary
    assert any(e.field and e.field.endswith("readinessProbe") and "/ready" in e.value for e in finding.evidence)


def test_ready_pods_and_oom_restarts_are_not_probe_failures():
    _, healthy = pods_of(deployment())
    _, oom = pods_of(deployment(), "oomkilled")
    for p in oom:
        p["status"]["containerStatuses"][0]["ready"] = False
        p["status"]["conditions"][2]["status"] = "False"
    assert analyzer.analyze(Snapshot(name="web", pods=healthy)) == []
    assert analyzer.analyze(Snapshot(name="web", pods=oom)) == []


def test_real_argo_running_not_ready():
    pod = fixture("argoproj__gitops-engine/pkg/health/testdata/pod-running-not-ready.yaml")
    [finding] = analyzer.analyze(Snapshot(name="x", pods=[pod]))
    assert "TCP :8080" in finding.summary


def test_real_is_healthy_never_ready_exec_probe():
    pod = fixture("flanksource__is-healthy/pkg/health/testdata/Kubernetes/Pod/pod-never-ready.yaml")
    [finding] = analyzer.analyze(Snapshot(name="x", pods=[pod]))
    assert any(e.value and e.value.startswith("exec") for e in finding.evidence)
