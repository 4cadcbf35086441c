"""HPA-at-max analyzer: pinned at maxReplicas with demand above target."""

import copy

from tests.support.kubernetes import fixture
from tools.kubernetes.analyzers import Snapshot
from tools.kubernetes.analyzers.hpa_max import analyzer

HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "search", "namespace": "discovery", "uid": "u1"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "search"},
        "minReplicas": 3,
        "maxReplicas": 8,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            }
        ],
    },
    "status": {
        "currentReplicas": 8,
        "desiredReplicas": 8,
        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 94}}}],
        "conditions": [
            {
                "type": "ScalingLimited",
                "status": "True",
                "reason": "TooManyReplicas",
                "message": "the desired replica count is more than the maximum replica count",
            }
        ],
    },
}


def test_pinned_at_max():
    [finding] = analyzer.analyze(Snapshot(name="search", hpas=[HPA]))
    assert finding.mode == "HPAAtMax" and "maximum of 8" in finding.summary and "94%" in finding.summary
    assert any(e.value == "True/TooManyReplicas" for e in finding.evidence)
    scale = finding.remediations[0]
    assert scale.tool == "k8s_scale" and scale.args["replicas"] > 8
    assert finding.runbooks == ["high-latency"]


def test_below_max_or_under_target_is_fine():
    below = copy.deepcopy(HPA)
    below["status"]["currentReplicas"] = 5
    idle = copy.deepcopy(HPA)
    idle["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"] = 40
    idle["status"]["conditions"][0].update(status="False", reason="DesiredWithinRange")
    assert analyzer.analyze(Snapshot(name="search", hpas=[below])) == []
    assert analyzer.analyze(Snapshot(name="search", hpas=[idle])) == []


def test_real_degraded_hpa_is_not_at_max():
    hpa = fixture("argoproj__gitops-engine/pkg/health/testdata/hpa-v2-degraded.yaml")
    assert analyzer.analyze(Snapshot(name="argocd-server", hpas=[hpa])) == []
