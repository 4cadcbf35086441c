"""The read-only cluster snapshot: captured objects from files, diagnosed like a live cluster.

Real captures (support bundles, ``kubectl get -o json``, watch streams, old API versions) come from
``../shared/fixtures/kubernetes``; each file shape also has a small fixture written here, so the
loader's behaviour is pinned without the shared folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.runtime import Runtime
from agent.service import AgentService
from contract.principal import Principal
from contract.settings import Settings
from contract.tooling import ToolContext
from tests.support.paths import SHARED_FIXTURES
from tools.kubernetes.client import kube_for
from tools.kubernetes.clusters import cluster_sources_configured, clusters_for
from tools.kubernetes.errors import KubeError
from tools.kubernetes.snapshot import SnapshotKube, matches_labels
from tools.kubernetes.snapshot_files import load

REAL = SHARED_FIXTURES / "kubernetes"
BUNDLE = REAL / "replicatedhq__troubleshoot" / "support-bundle-2025-08-09T21_08_25"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is absent (real Kubernetes captures)")
READ_ONLY = "is a read-only snapshot loaded from files; it can't be changed"


def _runtime(tmp_path: Path, *snapshots: Path) -> Runtime:
    settings = Settings(data_dir=tmp_path / "data", kubernetes_snapshot=[str(s) for s in snapshots])
    return Runtime(settings)


def _ask(service: AgentService, text: str):
    return service.ask(text, service.principal("user:default/guest", via="test"))


def _pod(name: str, ns: str = "web", **status) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "status": status}


# --- the real captures ------------------------------------------------------------------------
@needs_real
def test_support_bundle_pod_keeps_its_oomkill_facts():
    loaded = load(BUNDLE)
    pod = loaded.objects[("Pod", "test-oom", "memory-hog-746d6455bc-hd4sc")]
    status = pod["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert status["lastState"]["terminated"]["exitCode"] == 137
    assert status["restartCount"] == 22
    assert loaded.origin[("Pod", "test-oom", "memory-hog-746d6455bc-hd4sc")] == "cluster-resources/pods/test-oom.json"
    # cluster_version.json is no Kubernetes object: skipped quietly, not a warning
    assert loaded.skipped_files == ["cluster-info/cluster_version.json"] and loaded.warnings == []
    assert loaded.counts() == {"Deployment": 2, "Event": loaded.counts()["Event"], "Pod": 3}


@needs_real
def test_whole_fixtures_folder_loads_every_shape():
    loaded = load(REAL)
    counts = loaded.counts()
    assert counts["Pod"] >= 70 and counts["Event"] >= 300
    # items without kind take it from the list kind (JobList → Job), kindless files from their folder
    assert ("Job", "default", "post-install-job") in loaded.objects or counts["Job"] >= 1
    assert ("Pod", "openshift-monitoring", "prometheus-k8s-0") in loaded.objects
    # a watch stream's object, and autoscaling/v1 with conditions in an annotation, served as v2
    assert ("Event", "default", "fluent-bit-78945dccd8-hvr55.17e75f85e7d9e678") in loaded.objects
    hpa = loaded.objects[("HorizontalPodAutoscaler", "argocd", "sample")]
    assert hpa["apiVersion"] == "autoscaling/v2"
    active = next(c for c in hpa["status"]["conditions"] if c["type"] == "ScalingActive")
    assert active["status"] == "False" and active["reason"] == "FailedGetResourceMetric"
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 2
    # the same Pod argocd/my-pod in several argo test files: the later file wins, with a warning naming both
    assert any("Pod argocd/my-pod is in both" in w and "pod-succeeded.yaml" in w for w in loaded.warnings)
    assert loaded.objects[("Pod", "argocd", "my-pod")]["status"]["phase"] == "Succeeded"


@needs_real
def test_why_is_the_pod_crashing_is_answered_from_the_snapshot(tmp_path):
    service = AgentService(_runtime(tmp_path, BUNDLE))
    turn = _ask(service, "why is pod memory-hog-746d6455bc-hd4sc crashing?")
    assert [c["name"] for c in turn.tool_calls] == ["k8s_diagnose"]
    assert "OOMKilled" in turn.answer and "restartCount=22" in turn.answer
    assert "limits.memory=50Mi" in turn.answer
    assert "support-bundle-2025-08-09T21_08_25" in turn.answer  # says where the objects came from

    crash = _ask(service, "why is crash-loop-app failing?")
    assert "CrashLoopBackOff" in crash.answer, crash.answer


@needs_real
def test_mutating_asks_are_refused_as_read_only_without_an_approval(tmp_path):
    runtime = _runtime(tmp_path, BUNDLE)
    service = AgentService(runtime)
    for ask in ("restart deployment memory-hog", "scale deployment memory-hog to 3", "roll back deployment memory-hog"):
        turn = _ask(service, ask)
        assert turn.answer == f"support-bundle-2025-08-09T21_08_25 {READ_ONLY}.", turn.answer
        assert turn.tool_calls == [] and turn.interrupt is None  # no approval request was made
    assert service.gate.store.pending() == []


@needs_real
def test_a_model_calling_a_remediation_gets_a_failed_dry_run_not_an_approval(tmp_path):
    """The path a model planner takes: the gate's preview fails with the read-only line, so it refuses."""
    runtime = _runtime(tmp_path, BUNDLE)
    tool = runtime.tools["k8s_rollout_restart"]
    context = ToolContext(runtime=runtime, principal=Principal(ref="user:default/guest", via="test"))
    preview = tool.preview(tool.parse({"name": "deployment:memory-hog"}), context)
    assert not preview.ok and preview.error == f"support-bundle-2025-08-09T21_08_25 {READ_ONLY}"
    result = tool.run({"name": "deployment:memory-hog"}, context)
    assert not result.ok and READ_ONLY in result.error


# --- the file shapes, one small fixture each --------------------------------------------------
def test_lists_infer_kind_and_multi_documents_load(tmp_path):
    (tmp_path / "pods.json").write_text(
        json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [{"metadata": {"name": "a", "namespace": "x"}}]})
    )
    (tmp_path / "many.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s, namespace: x}}\n"
        "---\n"
        "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d, namespace: x, labels: {app: d}}\n"
        "spec: {replicas: 2}\n"
    )
    (tmp_path / "LICENSE.yaml").write_text("Copyright: nobody\n")
    loaded = load(tmp_path)
    assert set(loaded.objects) == {("Pod", "x", "a"), ("Service", "x", "s"), ("Deployment", "x", "d")}
    assert loaded.objects[("Pod", "x", "a")]["kind"] == "Pod"
    assert loaded.skipped_files == ["LICENSE.yaml"] and loaded.warnings == []


def test_watch_stream_applies_events_in_order(tmp_path):
    lines = [
        {"type": "ADDED", "object": _pod("a", phase="Pending")},
        {"type": "ADDED", "object": _pod("b", phase="Running")},
        {"type": "MODIFIED", "object": _pod("a", phase="Running")},
        {"type": "DELETED", "object": _pod("b")},
    ]
    (tmp_path / "watch.json").write_text("\n".join(json.dumps(line) for line in lines))
    loaded = load(tmp_path)
    assert list(loaded.objects) == [("Pod", "web", "a")]
    assert loaded.objects[("Pod", "web", "a")]["status"]["phase"] == "Running"
    assert loaded.warnings == []


def test_bad_yaml_is_a_warning_naming_file_and_line_and_the_rest_loads(tmp_path):
    (tmp_path / "good.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: ok, namespace: web}\n")
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n")
    (tmp_path / "bad.json").write_text('{"kind": "Pod",\n "metadata": }\n')
    loaded = load(tmp_path)
    assert list(loaded.objects) == [("Pod", "web", "ok")]
    yaml_warning = next(w for w in loaded.warnings if "bad.yaml" in w)
    json_warning = next(w for w in loaded.warnings if "bad.json" in w)
    assert "not loaded: line " in yaml_warning and "not loaded: line 2" in json_warning


def test_duplicates_keep_the_later_file_and_say_so(tmp_path):
    (tmp_path / "a.yaml").write_text(json.dumps(_pod("p", phase="Failed")))
    (tmp_path / "b.yaml").write_text(json.dumps(_pod("p", phase="Running")))
    loaded = load(tmp_path)
    assert loaded.objects[("Pod", "web", "p")]["status"]["phase"] == "Running"
    assert loaded.warnings == [
        "kubernetes snapshot: Pod web/p is in both a.yaml and b.yaml; the later one (b.yaml) is used"
    ]


def test_label_selectors_follow_kubernetes_semantics():
    labels = {"app": "web", "tier": "front"}
    assert matches_labels(labels, "app=web,tier in (front, back)")
    assert matches_labels(labels, "app==web,!canary,tier")
    assert not matches_labels(labels, "app!=web")
    assert not matches_labels(labels, "tier notin (front)")
    with pytest.raises(KubeError, match="invalid label selector"):
        matches_labels(labels, "app=(")


def test_snapshot_is_a_source_and_a_named_read_only_cluster(tmp_path):
    folder = tmp_path / "prod-capture"
    folder.mkdir()
    (folder / "pod.yaml").write_text(json.dumps(_pod("p", phase="Running")))
    runtime = _runtime(tmp_path, folder)
    assert cluster_sources_configured(runtime) and runtime.family_live("kubernetes")
    assert clusters_for(runtime).names() == ["prod-capture"]
    kube = kube_for(runtime, None)
    assert isinstance(kube, SnapshotKube) and kube.cluster == "prod-capture"
    assert [p["metadata"]["name"] for p in kube.list("Pod", "web", field_selector="metadata.name=p")] == ["p"]
    with pytest.raises(KubeError, match=f"prod-capture {READ_ONLY}"):
        kube.patch("Deployment", "web", "p", {}, dry_run=True)
    with pytest.raises(KubeError, match="not found"):
        kube.get("Pod", "web", "missing")


def test_a_missing_snapshot_path_is_a_clear_error(tmp_path):
    runtime = _runtime(tmp_path, tmp_path / "nowhere")
    with pytest.raises(KubeError, match="nowhere: no such file or folder"):
        kube_for(runtime, None)


def test_catalog_components_map_to_snapshot_workloads_as_on_a_live_cluster(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata: {name: shop, annotations: {backstage.io/kubernetes-id: shop}}\n"
        "spec: {type: service, owner: team-a, lifecycle: production}\n"
    )
    capture = tmp_path / "capture.yaml"
    labels = {"backstage.io/kubernetes-id": "shop"}
    pod = _pod(
        "shop-1",
        ns="store",
        phase="Pending",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient memory.",
            },
        ],
    )
    pod["metadata"]["labels"] = labels
    pod["spec"] = {"containers": [{"name": "app", "image": "shop:1"}]}
    other = _pod("unrelated", ns="store", phase="Running")
    capture.write_text(json.dumps(pod) + "\n---\n" + json.dumps(other))
    settings = Settings(data_dir=tmp_path / "data", catalog=[str(catalog)], kubernetes_snapshot=[str(capture)])
    service = AgentService(Runtime(settings))
    turn = _ask(service, "why are the shop pods pending?")
    assert [c["name"] for c in turn.tool_calls] == ["k8s_diagnose"]
    assert "Unschedulable" in turn.answer and "Insufficient memory" in turn.answer, turn.answer
    assert "unrelated" not in turn.answer and "capture.yaml" in turn.answer
