"""The read and diagnosis tools against kmock's Kubernetes emulator, an independent API mock over
HTTP: the client code is not tailored to our own stand-in. The sync client runs in a thread while
the emulator serves on the test's event loop."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from agent.runtime import Runtime
from contract.principal import Principal
from contract.settings import Settings
from contract.tooling import ToolContext
from tests.support.kubernetes import demo_state

RESOURCES = {
    "Deployment": "apps/v1/deployments",
    "ReplicaSet": "apps/v1/replicasets",
    "Pod": "v1/pods",
    "Event": "v1/events",
}


@pytest.fixture
def runtime_on(tmp_path):
    def make(url: str) -> Runtime:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "kmock",
            "clusters": [{"name": "kmock", "cluster": {"server": url.rstrip("/")}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "u"}}],
        }
        (tmp_path / "kubeconfig").write_text(yaml.safe_dump(config))
        return Runtime(Settings(data_dir=tmp_path / "d", demo=True, kubeconfig=[str(tmp_path / "kubeconfig")]))

    return make


async def test_diagnosis_through_kmock(kmock, runtime_on):
    state = demo_state()
    for (kind, ns, name), obj in state.objects.items():
        labels = obj["metadata"].get("labels") or {}
        involved = (obj.get("involvedObject") or {}).get("name", "")
        if (
            kind in RESOURCES
            and ns == "commerce"
            and (labels.get("app.kubernetes.io/name") == "checkout" or involved.startswith("checkout"))
        ):
            kmock.objects[RESOURCES[kind], ns, name] = obj
    for resource in (
        "v1/services",
        "apps/v1/statefulsets",
        "apps/v1/daemonsets",
        "autoscaling/v2/horizontalpodautoscalers",
    ):
        kmock.resources[resource] = {}
    runtime = runtime_on(str(kmock.url))
    ctx = ToolContext(runtime=runtime, principal=Principal(ref="user:default/marco.bianchi"))
    result = await asyncio.to_thread(runtime.tools["k8s_diagnose"].run, {"name": "checkout"}, ctx)
    assert result.ok, result.error
    assert result.data["findings"][0]["mode"] == "CrashLoopBackOff"
    assert "CronJobs" in result.note  # kinds the server does not serve are skipped, and said so
    history = await asyncio.to_thread(runtime.tools["k8s_rollout_history"].run, {"name": "checkout"}, ctx)
    assert history.ok and history.data["last_change"]["to"] == 14
