"""The read tools and remediations against the Kubernetes API stand-in over HTTP, through a real
kubeconfig file and the official client (no patched client): mapping, secrets, dry runs, state
changes, verification, and faults (401, 403, 404, 409, timeouts, unreachable)."""

from __future__ import annotations

import socket

import pytest
import yaml

from agent.runtime import Runtime
from contract.principal import Principal
from contract.settings import Settings
from contract.tokens import count_tokens
from contract.tooling import ToolContext
from demo.standins.kubernetes_api.server import Fault
from tests.support.kubernetes import runtime_for, start_server, write_kubeconfig
from tools.kubernetes.client import Kube
from tools.kubernetes.clusters import clusters_for
from tools.kubernetes.errors import KubeError
from tools.kubernetes.workloads import compress_log


def ctx_for(runtime, who="user:default/marco.bianchi"):
    return ToolContext(runtime=runtime, principal=Principal(ref=who))


def run(runtime, tool, **args):
    return runtime.tools[tool].run(args, ctx_for(runtime))


def execute(runtime, tool, **args):
    """Call a mutating tool's function directly: what the graph does after a valid approval."""
    t = runtime.tools[tool]
    return t.run(args, ctx_for(runtime))


def writes(server):
    return [r for r in server.mutations() if "All" not in r[2].get("dryRun", [])]


# --- reads -----------------------------------------------------------------------------------------
def test_workloads_use_the_entity_annotations(runtime, server):
    result = run(runtime, "k8s_workloads", name="api-gateway")
    assert result.ok, result.error
    assert result.query["selector"] == "backstage.io/kubernetes-id=api-gateway"
    assert result.query["namespace"] == "platform"
    [workload] = result.data["workloads"]
    assert workload["ready"] == "4/4" and workload["images"] == ["registry.tessera.example/api-gateway:1.31.2"]
    assert result.data["hpas"][0]["max"] == 12 and result.data["ingresses"] == ["api-gateway: api.tessera.example"]
    paths = [(m, p, q.get("labelSelector")) for m, p, q in server.requests]
    assert ("GET", "/apis/apps/v1/namespaces/platform/deployments", ["backstage.io/kubernetes-id=api-gateway"]) in paths


def test_label_selector_annotation_wins_and_no_namespace_searches_all(tmp_path, server):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        yaml.safe_dump_all(
            [
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Component",
                    "metadata": {
                        "name": "basket",
                        "annotations": {
                            "backstage.io/kubernetes-id": "does-not-exist",
                            "backstage.io/kubernetes-label-selector": "app.kubernetes.io/name=cart",
                        },
                    },
                    "spec": {"type": "service", "lifecycle": "production", "owner": "group:default/team-a"},
                },
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Group",
                    "metadata": {"name": "team-a"},
                    "spec": {"type": "team", "children": []},
                },
            ]
        )
    )
    runtime = runtime_for(tmp_path, server, demo=False, catalog=[str(catalog)])
    result = run(runtime, "k8s_workloads", name="basket")
    assert result.ok, result.error
    assert result.query["selector"] == "app.kubernetes.io/name=cart" and result.query["namespace"] == "(all)"
    assert [w["name"] for w in result.data["workloads"]] == ["cart"]
    assert any(p == "/apis/apps/v1/deployments" for _, p, _ in server.requests)


def test_unknown_and_unlinked_entities_are_clear(runtime):
    missing = run(runtime, "k8s_diagnose", name="chekout-svc")
    assert not missing.ok and "no catalog entity" in missing.error
    library = run(runtime, "k8s_workloads", name="auth-sdk")
    assert not library.ok and "not linked to Kubernetes" in library.error


def test_secret_data_is_never_read_or_shown(runtime, server):
    for tool in ("k8s_workloads", "k8s_diagnose", "k8s_events", "k8s_logs", "k8s_rollout_history"):
        result = run(runtime, tool, name="payments-gateway")
        assert result.ok, (tool, result.error)
        assert "QVFFeWht" not in result.to_text() and "adyen-api-key" not in result.to_text()
    assert not [p for _, p, _ in server.requests if "/secrets" in p]
    with pytest.raises(KubeError, match="secret data is never read"):
        Kube(clusters_for(runtime)).list("Secret", "payments")


def test_diagnosis_of_every_planted_failure(runtime):
    expected = {
        "checkout": "CrashLoopBackOff",
        "search-indexer": "OOMKilled",
        "promotions": "ImagePullBackOff",
        "recommendations-model": "Unschedulable",
        "reviews": "ReadinessProbeFailing",
        "notifications": "HighRestarts",
        "inventory": "ProgressDeadlineExceeded",
        "search": "HPAAtMax",
    }
    for name, mode in expected.items():
        result = run(runtime, "k8s_diagnose", name=name)
        assert result.ok, result.error
        assert result.data["findings"][0]["mode"] == mode, (name, result.data)
        assert result.data["findings"][0]["evidence"]
    healthy = run(runtime, "k8s_diagnose", name="payments")
    assert healthy.data["healthy"] is True and healthy.data["findings"] == []


def test_logs_of_a_crashlooping_container_come_from_the_previous_instance(runtime, server):
    result = run(runtime, "k8s_logs", name="checkout")
    assert result.ok and result.data["previous"] is True
    assert result.data["log"].startswith("-- ") and "PAYMENTS_GRPC_TARGET is not set" in result.data["log"]
    assert any(q.get("previous") == ["true"] for _, p, q in server.requests if p.endswith("/log"))


def test_log_compression_keeps_error_lines_first_within_the_cap():
    lines = [f"2026-11-24T10:{i // 60:02d}:{i % 60:02d}Z INFO handled request id={i} status=200" for i in range(600)]
    lines[100] = "2026-11-24T10:01:40Z ERROR database connection refused host=orders-db"
    lines[350] = "2026-11-24T10:05:50Z ERROR panic: nil pointer dereference in handler"
    text, stats = compress_log("\n".join(lines), 200)
    assert count_tokens(text) <= 200
    assert text.index("connection refused") < text.index("nil pointer") < text.index("-- last")
    assert stats == {"lines": 600, "shown": stats["shown"], "error_lines": 2} and stats["shown"] < 600
    assert lines[-1] in text


def test_history_says_what_changed(runtime):
    result = run(runtime, "k8s_rollout_history", name="checkout")
    change = result.data["last_change"]
    assert (change["from"], change["to"]) == (13, 14)
    assert (
        "checkout: image registry.tessera.example/checkout:2.13.2 → registry.tessera.example/checkout:2.14.0"
        in change["diff"]
    )


# --- clusters --------------------------------------------------------------------------------------
def test_several_clusters_by_context_name_and_a_broken_kubeconfig(tmp_path, server):
    staging = start_server()
    try:
        prod_cfg = write_kubeconfig(tmp_path / "prod.yaml", server, "tessera-prod")
        staging_cfg = write_kubeconfig(tmp_path / "staging.yaml", staging, "tessera-staging")
        broken = tmp_path / "broken.yaml"
        broken.write_text("contexts: [")
        runtime = Runtime(
            Settings(data_dir=tmp_path / "d", demo=True, kubeconfig=[str(prod_cfg), str(broken), str(staging_cfg)])
        )
        clusters = clusters_for(runtime)
        assert clusters.names() == ["tessera-prod", "tessera-staging"]
        assert "broken.yaml" in clusters.problems[0]
        before = len(server.requests)
        result = run(runtime, "k8s_workloads", name="cart", cluster="tessera-staging")
        assert result.ok and result.query["cluster"] == "tessera-staging"
        assert staging.requests and len(server.requests) == before
        unknown = run(runtime, "k8s_workloads", name="cart", cluster="nope")
        assert not unknown.ok and "known clusters: tessera-prod, tessera-staging" in unknown.error
    finally:
        staging.stop()


def test_demo_cluster_starts_lazily_and_is_reached_through_a_kubeconfig(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path, demo=True))
    assert "k8s_diagnose" in runtime.tools
    assert "kubernetes.demo_server" not in runtime._services  # listing tools starts nothing
    result = run(runtime, "k8s_workloads", name="cart")
    assert result.ok and result.query["cluster"] == "tessera-prod"
    server = runtime._services["kubernetes.demo_server"]
    config = yaml.safe_load((tmp_path / "kubernetes" / "demo-kubeconfig.yaml").read_text())
    assert config["clusters"][0]["cluster"]["server"] == server.url.replace("localhost", "127.0.0.1")
    server.stop()


# --- remediations change the cluster's state ----------------------------------------------------
def test_dry_run_preview_changes_nothing(runtime, server):
    tool = runtime.tools["k8s_rollout_restart"]
    before = Kube(clusters_for(runtime)).get("Deployment", "payments", "payments")
    preview = tool.preview(tool.parse({"name": "payments"}), ctx_for(runtime))
    assert preview.ok and "5 pod(s)" in preview.summary and "dryRun=All" in preview.details
    after = Kube(clusters_for(runtime)).get("Deployment", "payments", "payments")
    assert before["metadata"]["resourceVersion"] == after["metadata"]["resourceVersion"]
    assert server.mutations() and writes(server) == []


def test_restart_replaces_pods_with_healthy_ones_and_verifies(runtime, server):
    kube = Kube(clusters_for(runtime))
    selector = "app.kubernetes.io/name=payments"
    old = {p["metadata"]["name"] for p in kube.list("Pod", "payments", label_selector=selector)}
    result = execute(runtime, "k8s_rollout_restart", name="payments")
    assert result.ok and result.data["verification"]["verified"] is True
    new = kube.list("Pod", "payments", label_selector=selector)
    assert len(new) == 5 and not old & {p["metadata"]["name"] for p in new}
    assert all(c["status"] == "True" for p in new for c in p["status"]["conditions"] if c["type"] == "Ready")


def test_restart_of_a_broken_release_reports_that_it_did_not_verify(runtime):
    result = execute(runtime, "k8s_rollout_restart", name="checkout")
    assert result.ok and result.data["verification"]["verified"] is False
    assert "CrashLoopBackOff" in result.note


def test_rollback_restores_the_previous_revision(runtime):
    result = execute(runtime, "k8s_rollback", name="checkout", revision=13)
    assert result.ok and result.data["verification"]["verified"] is True
    dep = Kube(clusters_for(runtime)).get("Deployment", "commerce", "checkout")
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"].endswith("checkout:2.13.2")
    assert run(runtime, "k8s_diagnose", name="checkout").data["healthy"] is True


def test_scale_without_and_with_an_hpa(runtime):
    cart = execute(runtime, "k8s_scale", name="cart", replicas=5)
    assert cart.ok and cart.data["verification"]["ready"] == 5
    search = execute(runtime, "k8s_scale", name="search", replicas=12)
    assert search.ok and search.data["verification"]["maxReplicas"] == 12
    assert "maxReplicas 8 → 12" in search.data["applied"]
    assert run(runtime, "k8s_diagnose", name="search").data["findings"] == []
    payments = execute(runtime, "k8s_scale", name="payments", replicas=7)  # within the HPA's 3..10
    assert "raise minReplicas 3 → 7" in payments.data["applied"]
    assert payments.data["verification"]["minReplicas"] == 7 and payments.data["workload"]["ready"] == 7


def test_delete_pod_and_cordon(runtime):
    kube = Kube(clusters_for(runtime))
    victim = kube.list("Pod", "commerce", label_selector="app.kubernetes.io/name=cart")[0]["metadata"]["name"]
    deleted = execute(runtime, "k8s_delete_pod", name="cart", pod=victim)
    assert deleted.ok and deleted.data["verification"]["verified"]
    assert len(kube.list("Pod", "commerce", label_selector="app.kubernetes.io/name=cart")) == 3
    node = kube.list("Node")[0]["metadata"]["name"]
    assert execute(runtime, "k8s_cordon", node=node).data["verification"]["unschedulable"] is True
    assert execute(runtime, "k8s_cordon", node=node, cordon=False).data["verification"]["unschedulable"] is False


# --- faults ----------------------------------------------------------------------------------------
def test_rejected_credentials_401(tmp_path, server):
    runtime = runtime_for(tmp_path, server, token="expired-token")
    result = run(runtime, "k8s_workloads", name="cart")
    assert not result.ok and "credentials were rejected (401 Unauthorized)" in result.error


def test_rbac_403_fails_the_dry_run_with_the_api_message(tmp_path, server):
    server.tokens["viewer-token"] = "viewer"
    runtime = runtime_for(tmp_path, server, token="viewer-token")
    assert run(runtime, "k8s_workloads", name="cart").ok  # reading is allowed
    tool = runtime.tools["k8s_rollout_restart"]
    preview = tool.preview(tool.parse({"name": "cart"}), ctx_for(runtime))
    assert not preview.ok and "403 Forbidden, RBAC" in preview.error and "cannot patch resource" in preview.error
    assert writes(server) == []


def test_404_while_reading_logs(runtime, server):
    server.faults.append(Fault("GET", r"/log$", status=404, message='pods "cart-x" not found'))
    result = run(runtime, "k8s_logs", name="cart")
    assert not result.ok and "not found" in result.error and 'pods "cart-x" not found' in result.error


def test_409_conflict_is_reported_and_nothing_applied(runtime, server):
    server.faults.append(
        Fault(
            "PATCH",
            r"/deployments/cart$",
            status=409,
            message='Operation cannot be fulfilled on deployments.apps "cart": the object has been modified',
        )
    )
    result = execute(runtime, "k8s_rollout_restart", name="cart")
    assert not result.ok and result.error.startswith("not applied:") and "Nothing was applied" in result.error
    assert writes(server) == [("PATCH", "/apis/apps/v1/namespaces/commerce/deployments/cart", {})]


def test_stale_rollback_is_a_conflict(runtime, server):
    kube = Kube(clusters_for(runtime))
    dep = kube.get("Deployment", "commerce", "checkout")
    stale = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "1"},
        {"op": "replace", "path": "/spec/replicas", "value": 1},
    ]
    with pytest.raises(KubeError) as err:
        kube.patch("Deployment", "commerce", "checkout", stale, dry_run=False)
    assert err.value.kind == "conflict"
    assert kube.get("Deployment", "commerce", "checkout")["spec"] == dep["spec"]


def test_timeout(runtime, server):
    server.faults.append(Fault("GET", r"/pods$", delay=1.5, times=2))
    kube = Kube(clusters_for(runtime), timeout=(1.0, 0.3))
    with pytest.raises(KubeError) as err:
        kube.list("Pod", "commerce")
    assert err.value.kind == "timeout" and "did not answer in time" in err.value.message


def test_unreachable_api(tmp_path, server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server.port = port  # a kubeconfig pointing at a closed port
    runtime = runtime_for(tmp_path, server)
    result = run(runtime, "k8s_workloads", name="cart")
    assert not result.ok and "unreachable" in result.error


def test_restart_of_statefulset_and_daemonset_verifies(runtime):
    for name in ("ledger", "otel-collector"):  # a StatefulSet and a DaemonSet in the demo cluster
        result = execute(runtime, "k8s_rollout_restart", name=name)
        assert result.ok and result.data["verification"]["verified"] is True, result.data


def test_demo_changes_persist_across_processes(tmp_path):
    """The CLI asks and approves in separate processes: both must see the same demo cluster."""
    first = Runtime(Settings(data_dir=tmp_path, demo=True))
    assert execute(first, "k8s_rollback", name="checkout", revision=13).ok
    first._services["kubernetes.demo_server"].stop()
    second = Runtime(Settings(data_dir=tmp_path, demo=True))  # what a new process builds
    try:
        assert run(second, "k8s_diagnose", name="checkout").data["healthy"] is True
    finally:
        second._services["kubernetes.demo_server"].stop()
    (tmp_path / "kubernetes" / "demo-cluster-state.json").write_text("{torn")
    third = Runtime(Settings(data_dir=tmp_path, demo=True))
    try:
        assert run(third, "k8s_diagnose", name="checkout").data["findings"][0]["mode"] == "CrashLoopBackOff"
    finally:
        third._services["kubernetes.demo_server"].stop()
