"""ProgressDeadlineExceeded analyzer: which ReplicaSet is stuck, and why its pods fail."""

from demo.standins.kubernetes_api.objects import pod, replica_set
from tests.support.kubernetes import T0, deployment, ev, fixture, pods_of
from tools.kubernetes.analyzers import Snapshot
from tools.kubernetes.analyzers.progress_deadline import analyzer


def _stuck():
    old = deployment("inventory", "commerce", image="registry.example/inventory:3.1.4", replicas=3)
    new = deployment("inventory", "commerce", image="registry.example/inventory:3.2.0", replicas=3)
    old_rs = replica_set(old, 7, T0, 3)
    old_rs["status"] = {"replicas": 3, "readyReplicas": 3}
    new_rs = replica_set(new, 8, T0, 1)
    bad = pod(new_rs, 0, mode="configerror", behaviour={"configMap": "inventory-config-v3"}, created=T0)
    new["status"]["conditions"] = [
        {
            "type": "Progressing",
            "status": "False",
            "reason": "ProgressDeadlineExceeded",
            "message": f'ReplicaSet "{new_rs["metadata"]["name"]}" has timed out progressing.',
        }
    ]
    _, good = pods_of(old)
    return Snapshot(
        name="inventory",
        deployments=[new],
        replicasets=[old_rs, new_rs],
        pods=[*good, bad],
        events=[ev(bad, "Failed", 'Error: configmap "inventory-config-v3" not found', count=37)],
    )


def test_stuck_rollout_names_the_blocking_error_and_the_old_replicaset():
    [finding] = analyzer.analyze(_stuck())
    assert finding.mode == "ProgressDeadlineExceeded"
    assert 'configmap "inventory-config-v3" not found' in finding.summary
    assert "still serves 3 ready pod(s)" in finding.summary
    assert any(e.value == "registry.example/inventory:3.2.0" for e in finding.evidence)
    assert [r.tool for r in finding.remediations] == [None, "k8s_rollback"]


def test_progressing_deployment_is_fine():
    dep = deployment()
    dep["status"]["conditions"] = [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]
    assert analyzer.analyze(Snapshot(name="web", deployments=[dep])) == []


def test_real_argo_degraded_deployment():
    dep = fixture("argoproj__gitops-engine/pkg/health/testdata/deployment-degraded.yaml")
    [finding] = analyzer.analyze(Snapshot(name="guestbook-ui", deployments=[dep]))
    assert "guestbook-ui-75dd4d49d5" in finding.summary
    assert any(e.value == "1/1/2" for e in finding.evidence)  # updated/ready/replicas


def test_real_is_healthy_progress_deadline():
    dep = fixture("flanksource__is-healthy/pkg/health/testdata/Kubernetes/Deployment/progress-deadline-exceeded.yaml")
    assert analyzer.analyze(Snapshot(name="x", deployments=[dep]))[0].mode == "ProgressDeadlineExceeded"
