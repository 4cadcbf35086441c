"""The Helm chart (deploy/helm/portal-agent), linted and rendered by the official ``helm`` binary.

``make install-dev`` puts helm into the venv (deploy/tools/fetch_helm.py). Every rendering is
checked against the Kubernetes OpenAPI schemas (``kubernetes-validate``, strict: unknown fields
fail), and against the code it deploys: the probes answer on the real app, every environment
variable is a real setting, the read-only role covers exactly what the Kubernetes tools read (the
paths of the official client's methods they call) and the remediation role what they write.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml

from agent.service import AgentService
from connectors.web.app import create_app
from contract.settings import Settings
from tests.support.web import make_web_runtime

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "portal-agent"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion: preStop sleep) and the newest
# schema kubernetes-validate ships.
K8S_VERSIONS = ("1.30", kubernetes_validate.latest_version())
READ_VERBS = {"get", "list", "watch"}
DB = "postgresql://portal:hunter2@db:5432/portal"


def helm_binary() -> str | None:
    beside = Path(sys.executable).with_name("helm")
    return str(beside) if beside.is_file() else shutil.which("helm")


HELM = helm_binary()
pytestmark = pytest.mark.skipif(
    HELM is None, reason="no helm binary: `make install-dev` installs it (deploy/tools/fetch_helm.py)"
)


def helm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HELM, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def render(*sets: str, namespace: str = "portal") -> list[dict[str, Any]]:
    """The manifests ``helm template`` renders with ``--set`` values, each schema-checked."""
    flags = [arg for value in sets for arg in ("--set", value)]
    done = helm("template", "rel", str(CHART), "--namespace", namespace, *flags)
    assert done.returncode == 0, done.stderr
    docs = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    for doc in docs:
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)
    return docs


def refused(*sets: str) -> str:
    flags = [arg for value in sets for arg in ("--set", value)]
    done = helm("template", "rel", str(CHART), *flags)
    assert done.returncode != 0, f"rendered although it should not: {sets}"
    return done.stderr


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [doc for doc in of_kind(docs, kind) if name is None or doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {[d['metadata']['name'] for d in found]}"
    return found[0]


def rules(docs: list[dict[str, Any]], kind: str, suffix: str) -> list[dict[str, Any]]:
    return [rule for role in of_kind(docs, kind) if role["metadata"]["name"].endswith(suffix) for rule in role["rules"]]


def grants(rule_list: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(apiGroup, resource, verb) triples a list of rules allows."""
    return {
        (group, resource, verb)
        for rule in rule_list
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


# --- lint --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sets",
    [
        (),
        (
            "ingress.enabled=true",
            "rbac.remediation.enabled=true",
            "autoscaling.enabled=true",
            f"secrets.databaseUrl={DB}",
        ),
        ("slackSocketMode.enabled=true", "existingSecret=portal-secrets"),
    ],
)
def test_helm_lint_passes(sets):
    flags = [arg for value in sets for arg in ("--set", value)]
    done = helm("lint", "--strict", str(CHART), *flags)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


def test_lint_refuses_values_the_schema_does_not_allow():
    done = helm("lint", str(CHART), "--set", "rbac.scope=everywhere")
    assert done.returncode != 0
    assert "/rbac/scope" in done.stdout + done.stderr


# --- the default rendering ----------------------------------------------------------------------------
def test_default_rendering_is_one_read_only_server():
    docs = render()
    kinds = sorted(doc["kind"] for doc in docs)
    assert kinds == sorted(
        [
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "ClusterRole",
            "ClusterRoleBinding",
            "Service",
            "Deployment",
            "PodDisruptionBudget",
        ]
    )
    deployment = one(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"][0] == "serve"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["terminationGracePeriodSeconds"] > container["lifecycle"]["preStop"]["sleep"]["seconds"]
    # The Service reaches the pods: its selector picks the Deployment's pods, its target the named port.
    service = one(docs, "Service")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] in {port["name"] for port in container["ports"]}
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()


async def test_the_probes_answer_on_the_real_app(tmp_path):
    container = one(render(), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    app = create_app(AgentService(make_web_runtime(tmp_path)), background_indexing=False)
    transport = httpx.ASGITransport(app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://k") as http:
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            path = container[probe]["httpGet"]["path"]
            response = await http.get(path)
            for _ in range(200):  # readiness turns 200 once the warm-up is done
                if response.status_code == 200:
                    break
                await asyncio.sleep(0.05)
                response = await http.get(path)
            assert response.status_code == 200, (probe, path, response.text)


def test_every_environment_variable_is_a_setting():
    docs = render(
        "config.catalog={a.yaml,b.yaml}",
        "config.model=offline",
        f"secrets.databaseUrl={DB}",
        "secrets.slackBotToken=xoxb-1",
        "secrets.webApiTokens=tok=user:default/jane",
    )
    config = one(docs, "ConfigMap")["data"]
    secret = one(docs, "Secret")["data"]
    fields = {f"PORTAL_AGENT_{name.upper()}" for name in Settings.model_fields}
    assert set(config) | set(secret) <= fields, (set(config) | set(secret)) - fields
    assert config["PORTAL_AGENT_CATALOG"] == "a.yaml,b.yaml"
    assert base64.b64decode(secret["PORTAL_AGENT_DATABASE_URL"]).decode() == DB
    assert "PORTAL_AGENT_GITHUB_TOKEN" not in secret  # empty secrets are left out
    assert not any("hunter2" in value for value in config.values())


# --- RBAC ---------------------------------------------------------------------------------------------
def _group_and_plural(api_class: str, snake: str, namespaced: bool) -> tuple[str, str]:
    """The API group and resource of a kind, from the URL of the official client's list method."""
    from kubernetes import client

    method = f"_list_{'namespaced_' if namespaced else ''}{snake}_serialize"
    source = inspect.getsource(getattr(getattr(client, api_class), method))
    path = re.search(r"resource_path='([^']*)'", source).group(1)
    parts = path.strip("/").split("/")
    group = "" if parts[0] == "api" else parts[1]
    return group, parts[-1]


def test_default_rbac_reads_what_the_kubernetes_tools_read_and_nothing_more():
    from tools.kubernetes.client import FORBIDDEN_KINDS, KINDS

    docs = render()
    allowed = grants(rules(docs, "ClusterRole", "-read"))
    assert {verb for _, _, verb in allowed} == READ_VERBS, "the default role must not mutate anything"
    needed = {_group_and_plural(*spec) for spec in KINDS.values()} | {("", "pods/log")}
    granted = {(group, resource) for group, resource, _ in allowed}
    assert needed == granted, f"missing {needed - granted}, extra {granted - needed}"
    for group, resource in needed:
        assert all((group, resource, verb) in allowed for verb in READ_VERBS)
    assert not any(resource == "secrets" for _, resource in granted)
    assert {kind.lower() + "s" for kind in FORBIDDEN_KINDS}.isdisjoint(r for _, r in granted)
    binding = one(docs, "ClusterRoleBinding")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": one(docs, "ServiceAccount")["metadata"]["name"], "namespace": "portal"}
    ]


def test_remediation_role_is_opt_in_and_grants_the_remediation_writes():
    from tools.kubernetes.remediations import REMEDIATIONS

    # A new remediation needs its verbs reviewed here and in templates/_helpers.tpl.
    assert set(REMEDIATIONS) == {"k8s_rollout_restart", "k8s_scale", "k8s_rollback", "k8s_delete_pod", "k8s_cordon"}
    assert not [r for r in of_kind(render(), "ClusterRole") if r["metadata"]["name"].endswith("-remediate")]
    docs = render("rbac.remediation.enabled=true")
    writes = grants(rules(docs, "ClusterRole", "-remediate"))
    assert writes == {
        ("apps", "deployments", "patch"),  # rollout restart, rollback
        ("apps", "statefulsets", "patch"),
        ("apps", "daemonsets", "patch"),
        ("apps", "deployments/scale", "patch"),  # scale without an HPA
        ("apps", "statefulsets/scale", "patch"),
        ("autoscaling", "horizontalpodautoscalers", "patch"),  # scale with an HPA
        ("", "pods", "delete"),  # delete pod
    }
    nodes = grants(
        rules(render("rbac.remediation.enabled=true", "rbac.remediation.nodes=true"), "ClusterRole", "-remediate")
    )
    assert nodes - writes == {("", "nodes", "patch")}  # cordon, only when asked for


def test_namespace_scope_binds_a_role_in_each_namespace():
    docs = render("rbac.scope=namespace", "rbac.namespaces={prod,staging}", "rbac.remediation.enabled=true")
    assert not of_kind(docs, "ClusterRole")
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]) for r in of_kind(docs, "Role")}
    assert roles == {(ns, f"rel-portal-agent-{role}") for ns in ("prod", "staging") for role in ("read", "remediate")}
    read = grants(rules(docs, "Role", "-read"))
    assert {verb for _, _, verb in read} == READ_VERBS
    assert not any(resource == "nodes" for _, resource, _ in read)  # cluster-scoped: a Role cannot grant it
    assert "rbac.scope=cluster" in refused(
        "rbac.scope=namespace", "rbac.remediation.enabled=true", "rbac.remediation.nodes=true"
    )


# --- toggles ------------------------------------------------------------------------------------------
def test_ingress_routes_to_the_service():
    docs = render(
        "ingress.enabled=true",
        "ingress.className=nginx",
        "ingress.hosts[0].host=portal.corp.test",
        "ingress.hosts[0].paths[0].path=/",
    )
    ingress = one(docs, "Ingress")
    service = one(docs, "Service")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert ingress["spec"]["rules"][0]["host"] == "portal.corp.test"
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}


def test_existing_secret_is_used_and_none_is_rendered():
    docs = render("existingSecret=portal-secrets", "replicaCount=3")
    assert not of_kind(docs, "Secret")
    sources = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert {"secretRef": {"name": "portal-secrets"}} in sources


def test_autoscaling_owns_the_replica_count():
    docs = render("autoscaling.enabled=true", f"secrets.databaseUrl={DB}")
    deployment, hpa = one(docs, "Deployment"), one(docs, "HorizontalPodAutoscaler")
    assert "replicas" not in deployment["spec"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }


def test_socket_mode_worker_runs_the_slack_command():
    docs = render(
        "slackSocketMode.enabled=true",
        "secrets.slackBotToken=xoxb-1",
        "secrets.slackAppToken=xapp-1",
        f"secrets.databaseUrl={DB}",
    )
    workers = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"].endswith("-slack")]
    assert len(workers) == 1
    worker = workers[0]["spec"]["template"]["spec"]
    assert worker["containers"][0]["args"] == ["slack"]
    assert (
        worker["containers"][0]["envFrom"]
        == one(docs, "Deployment", "rel-portal-agent")["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    )
    # The PodDisruptionBudget and the Service are the server's, not the worker's.
    worker_labels = workers[0]["spec"]["template"]["metadata"]["labels"]
    assert not one(docs, "Service")["spec"]["selector"].items() <= worker_labels.items()
    assert not one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= worker_labels.items()


@pytest.mark.parametrize(
    ("sets", "says"),
    [
        (("config.database_url=postgresql://x",), "secrets.databaseUrl"),
        (("config.slack_bot_token=xoxb-1",), "secrets.slackBotToken"),
        (("replicaCount=2",), "PostgreSQL"),
        (("autoscaling.enabled=true",), "PostgreSQL"),
        (("slackSocketMode.enabled=true", f"secrets.databaseUrl={DB}"), "slackAppToken"),
        (("slackSocketMode.enabled=true", "secrets.slackBotToken=a", "secrets.slackAppToken=b"), "PostgreSQL"),
        (("shutdownGraceSeconds=90",), "terminationGracePeriodSeconds"),
    ],
)
def test_values_that_would_deploy_something_broken_are_refused(sets, says):
    assert says in refused(*sets)
