"""End to end through AgentService with the offline planner: run, find and show runbooks.

Two set-ups: the demo organisation with the real Kubernetes family (stand-in cluster), and a
test-only family (tests/support/agent.py) so the approval flow is also checked without Kubernetes.
"""

from __future__ import annotations

import textwrap

import pytest

from agent.gate.policy import ApprovalDecision
from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings
from tests.support.agent import DATA, executions, widget_family
from tests.support.runbooks import GOOD
from tools.runbooks import family as runbooks_family


def names(result):
    return [c["name"] for c in result.tool_calls]


def decide(service, result, who, kind="approve", **kw):
    request = result.interrupt["request"]
    approver = service.principal(who)
    decision = ApprovalDecision(
        request_id=request["id"], decision=kind, approver=approver.ref, args_hash=request["args_hash"], **kw
    )
    return service.decide(decision, approver)


# --- the demo organisation, with the Kubernetes family -------------------------------------------
@pytest.fixture
def demo(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path, demo=True))
    if "k8s_rollback" not in runtime.tools:
        pytest.skip("the kubernetes family is not available in this build")
    return AgentService(runtime)


def test_crashloop_runbook_runs_reads_then_waits_for_approval(demo):
    marco = demo.principal("marco.bianchi")
    result = demo.ask("run the crashloop runbook for checkout", marco)
    assert names(result) == ["runbook_get", "k8s_diagnose", "k8s_logs", "k8s_rollout_history", "k8s_rollback"]
    request = result.interrupt["request"]
    assert request["tool"] == "k8s_rollback" and request["target"] == "component:default/checkout"
    answer = result.answer
    assert "**Runbook `crashloop`: Crash-looping workload** for `component:default/checkout`" in answer
    assert "1. **Confirm the crash loop and its reason** [done]" in answer
    assert "PAYMENTS_GRPC_TARGET" in answer  # from the diagnosis / previous log of the planted failure
    assert "rev 13→14" in answer  # from the rollout history
    assert "5. **Roll back to the last healthy revision** [waiting for approval]" in answer
    assert "6. **Verify the pods are ready again** [not run yet]" in answer
    assert "4. **Check what the release expected** [manual]" in answer
    assert answer.rstrip().endswith(f"Allowed approvers: {', '.join(request['approvers'])}.")

    done = decide(demo, result, "hannah.okafor")
    assert done.interrupt is None and names(done) == ["k8s_diagnose"]  # the verification step
    assert "5. **Roll back to the last healthy revision** [done]" in done.answer
    assert "6. **Verify the pods are ready again** [done]" in done.answer
    assert "ready 3/3" in done.answer
    assert "Finished: 5 done, 2 manual." in done.answer
    assert done.refs == ["component:default/checkout"]


def test_a_rejected_step_is_reported_and_nothing_after_it_runs(demo):
    mei = demo.principal("mei.lin")
    result = demo.ask("run the high-latency runbook for search", mei)
    assert names(result)[-1] == "k8s_scale" and result.interrupt["request"]["args"]["replicas"] == 12
    assert "catalog_dependencies" in names(result)
    rejected = decide(demo, result, "arjun.patel", kind="reject", comment="scale the OpenSearch side first")
    assert rejected.interrupt is None and names(rejected) == []
    assert "6. **Scale out the service** [not executed]" in rejected.answer
    assert "approval rejected: scale the OpenSearch side first" in rejected.answer
    assert "pinned at its maximum of 8 replicas" in rejected.answer
    assert "7. **Verify and make it permanent** [manual]" in rejected.answer


def test_database_failover_uses_the_catalog_and_restarts_the_consumer(demo):
    result = demo.ask("follow the database-failover runbook for orders-db", demo.principal("priya.raman"))
    assert names(result) == [
        "runbook_get",
        "catalog_get_entity",
        "catalog_dependencies",
        "catalog_owner",
        "k8s_rollout_restart",
    ]
    assert result.interrupt["request"]["target"] == "component:default/orders"
    assert "aws rds reboot-db-instance --db-instance-identifier orders-db --force-failover" in result.answer


def test_read_only_mode_reports_the_missing_tool_and_continues(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path, demo=True, read_only=True))
    if "k8s_diagnose" not in runtime.tools:
        pytest.skip("the kubernetes family is not available in this build")
    service = AgentService(runtime)
    result = service.ask("run the crashloop runbook for checkout", service.principal("marco.bianchi"))
    assert result.interrupt is None
    assert names(result) == ["runbook_get", "k8s_diagnose", "k8s_logs", "k8s_rollout_history", "k8s_diagnose"]
    assert "step 5 needs tool k8s_rollback which is not enabled" in result.answer
    assert "Finished: 4 done, 1 not executed, 2 manual." in result.answer


def test_find_show_and_clarify(demo):
    p = demo.principal("marco.bianchi")
    found = demo.ask("which runbook for KubePodCrashLooping?", p)
    assert names(found) == ["runbook_search"]
    assert found.answer.splitlines()[1].startswith("- `crashloop`: Crash-looping workload")
    shown = demo.ask("show me the database-failover runbook", p)
    assert names(shown) == ["runbook_get"]
    step7 = "7. **Reset the main consumer's connection pool** runs `k8s_rollout_restart` (needs approval)"
    assert step7 in shown.answer
    assert "resource:orders-db" in shown.answer
    which = demo.ask("run the crashloop runbook", p)
    assert names(which) == ["runbook_get"] and "which one?" in which.answer
    unknown = demo.ask("run the restart-the-world runbook for checkout", p)
    assert names(unknown) == ["runbook_search"] and "I found no runbook named 'restart-the-world'" in unknown.answer
    wrong = demo.ask("run the database-failover runbook for cart-redis", p)
    assert names(wrong) == ["runbook_get"]  # nothing runs against an entity the runbook is not written for
    assert "does not apply to resource:default/cart-redis" in wrong.answer
    for_entity = demo.ask("which runbooks apply to payments-gateway?", p)
    assert "`rotate-api-key`" in for_entity.answer.splitlines()[1]


def test_diagnosis_questions_stay_with_kubernetes(demo):
    result = demo.ask("why is checkout crashlooping?", demo.principal("marco.bianchi"))
    assert not any(name.startswith("runbook_") for name in names(result))


# --- a test-only family instead of Kubernetes ----------------------------------------------------
WIDGET_RUNBOOK = GOOD.replace('name: "{{ entity }}"', 'name: "{{ name }}"').replace(
    "## Escalation",
    textwrap.dedent(
        """\
        4. **Page the widget vendor.**
           ```portal-agent
           tool: page_vendor
           args: {ref: "{{ entity }}"}
           ```
           Call +1 555 0100 if the page is not acknowledged.
        5. **Check the widget again.**
           ```portal-agent
           tool: widget_status
           args: {name: "{{ name }}"}
           ```

        ## Escalation"""
    ),
)


@pytest.fixture
def widgets(tmp_path):
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "widget-restart.md").write_text(WIDGET_RUNBOOK, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data",
        catalog=[str(DATA / "catalog.yaml")],
        runbooks=[str(folder)],
        admin_groups=["team-admins"],
    )
    runtime = Runtime(settings, extra_families=[widget_family(), runbooks_family], builtin_families=False)
    return AgentService(runtime)


def test_runbook_with_a_test_family_needs_approval_and_runs_once(widgets):
    wendy = widgets.principal("wendy.owner")
    result = widgets.ask("run the widget-restart runbook for widget-api", wendy)
    assert names(result) == ["runbook_get", "widget_status", "restart_widget"]
    assert result.interrupt["request"]["target"] == "component:default/widget-api"
    assert executions(widgets.runtime) == []
    assert "4. **Page the widget vendor** [not executed]" in result.answer
    assert "step 4 needs tool page_vendor which is not enabled" in result.answer
    assert "Call +1 555 0100" in result.answer  # its manual instructions are shown instead
    assert "xoxb-1234567890" not in result.answer  # the status tool's secret never reaches the answer

    done = decide(widgets, result, "olga.oncall")
    assert executions(widgets.runtime) == [{"name": "widget-api", "replicas": 1, "by": wendy.ref}]
    assert names(done) == ["widget_status"]
    assert "3. **Restart it** [done]" in done.answer and "5. **Check the widget again** [done]" in done.answer
    assert "Finished: 3 done, 1 not executed, 1 manual." in done.answer


def test_steps_the_requester_may_not_request_are_refused(widgets):
    oscar = widgets.principal("someone.unknown")  # not in the catalog: read-only
    result = widgets.ask("run the widget-restart runbook for widget-api", oscar)
    assert result.interrupt is None and executions(widgets.runtime) == []
    assert "3. **Restart it** [not executed]" in result.answer
    assert "read-only access" in result.answer
    assert "5. **Check the widget again** [not executed]" in result.answer  # nothing after a step that did not run


# --- the real prometheus-operator runbooks, configured next to the demo ----------------------------
def test_upstream_runbooks_are_shown_not_run(tmp_path, upstream):
    runtime = Runtime(Settings(data_dir=tmp_path, demo=True, runbooks=[str(upstream)]))
    service = AgentService(runtime)
    p = service.principal("marco.bianchi")
    result = service.ask("run the KubePodCrashLooping runbook for checkout", p)
    assert names(result) == ["runbook_get"] and result.interrupt is None
    assert result.answer.startswith("**Runbook `KubePodCrashLooping`** has no executable steps")
    assert "- `kubectl -n $NAMESPACE describe pod $POD`" in result.answer
    assert "\n- Check pod events via" in result.answer  # the section's list is kept as a list
    pointer = service.ask("show me the NodeRAIDDiskFailure runbook", p)
    assert "See also: `NodeRAIDDegraded`" in pointer.answer
    found = service.ask("which runbook for etcd no leader?", p)
    assert found.answer.splitlines()[1].startswith("- `etcdNoLeader`")
