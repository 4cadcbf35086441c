"""The demo's Kubernetes API stand-in: a credential per run, handed out only through the private
demo kubeconfig; the old fixed token that anyone on the host could use is refused."""

from __future__ import annotations

import json
import stat
import time
import urllib.error
import urllib.request

import yaml

from agent.runtime import Runtime
from contract.settings import Settings
from demo.standins.kubernetes_api.cluster import demo_kubeconfig, demo_server
from tests.support.kubernetes import demo_state, start_server


def status(server, token: str | None, path: str = "/api/v1/namespaces/commerce/pods") -> int:
    request = urllib.request.Request(server.url + path)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_each_server_has_its_own_unguessable_admin_token():
    first, second = start_server(), start_server(demo_state())
    try:
        assert first.admin_token != second.admin_token and len(first.admin_token) >= 40
        assert status(first, first.admin_token) == 200
        assert status(first, second.admin_token) == 401  # one run's token does not open another's
    finally:
        first.stop()
        second.stop()


def test_the_old_fixed_token_and_no_token_are_refused():
    server = start_server()
    try:
        assert status(server, "demo-admin-token") == 401
        assert status(server, None) == 401
        assert status(server, "") == 401
        assert status(server, server.admin_token + "x") == 401
    finally:
        server.stop()


def test_the_demo_kubeconfig_carries_the_token_privately(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path / "data", demo=True))
    path = demo_kubeconfig(runtime)
    server = demo_server(runtime)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        config = yaml.safe_load(path.read_text())
        [user] = config["users"]
        assert user["user"]["token"] == server.admin_token
        assert "demo-admin-token" not in path.read_text()
        assert status(server, user["user"]["token"]) == 200
        # A change through the stand-in is saved privately too (another process of the demo reads it).
        request = urllib.request.Request(
            server.url + "/apis/apps/v1/namespaces/commerce/deployments/checkout",
            data=json.dumps({"metadata": {"labels": {"probe": "1"}}}).encode(),
            method="PATCH",
            headers={"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/merge-patch+json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        saved = runtime.data_dir / "kubernetes" / "demo-cluster-state.json"
        deadline = time.monotonic() + 5
        while not saved.exists() and time.monotonic() < deadline:  # saved just after the response is sent
            time.sleep(0.05)
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    finally:
        server.stop()
