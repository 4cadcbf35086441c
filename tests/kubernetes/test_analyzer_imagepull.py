"""ImagePullBackOff / ErrImagePull analyzer: which image, and why it cannot be pulled."""

import pytest

from tests.support.kubernetes import deployment, ev, fixture, items, pods_of
from tools.kubernetes.analyzers import Snapshot
from tools.kubernetes.analyzers.imagepull import _cause, analyzer


def test_manifest_unknown_means_a_missing_tag():
    dep = deployment("promotions", "commerce", image="registry.example/promotions:0.9.3", replicas=1)
    rs, pods = pods_of(dep, "imagepull")
    failed = ev(
        pods[0],
        "Failed",
        'Failed to pull image "registry.example/promotions:0.9.3": rpc error: code = NotFound desc = manifest unknown',
        count=14,
    )
    [finding] = analyzer.analyze(
        Snapshot(name="promotions", deployments=[dep], replicasets=[rs], pods=pods, events=[failed])
    )
    assert finding.mode == "ImagePullBackOff"
    assert "registry.example/promotions:0.9.3" in finding.summary and "tag does not exist" in finding.summary
    assert any(e.event and "manifest unknown" in e.event for e in finding.evidence)


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("pull access denied, repository does not exist or may require authorization: unauthorized", "credentials"),
        ('Get "https://noimage.com/v2/": dial tcp: lookup noimage.com: no such host', "unreachable"),
        ("x509: certificate signed by unknown authority", "certificate"),
    ],
)
def test_causes(message, words):
    assert words in _cause(message)[0]


def test_healthy_pods_pull_fine():
    _, pods = pods_of(deployment())
    assert analyzer.analyze(Snapshot(name="web", pods=pods)) == []


def test_real_argo_image_pull_backoff():
    pod = fixture("argoproj__gitops-engine/pkg/health/testdata/pod-imagepullbackoff.yaml")
    [finding] = analyzer.analyze(Snapshot(name="guestbook", pods=[pod]))
    assert "ks-guestbook-demo:0.3" in finding.summary


def test_real_troubleshoot_err_image_pull_with_events():
    pods = items(fixture("replicatedhq__troubleshoot/pkg/analyze/files/pods/message-image-pull-fail.json"))
    events = items(fixture("replicatedhq__troubleshoot/pkg/analyze/files/events/message-image-pull-fail.json"))
    [finding] = analyzer.analyze(Snapshot(name="x", pods=pods, events=events))
    assert "ErrImagePull" in finding.summary or "ImagePullBackOff" in finding.summary
    assert any(e.event and e.event.startswith("Failed") for e in finding.evidence)
