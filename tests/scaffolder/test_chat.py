"""The scaffolder in chat, end to end through AgentService and the offline planner: list and explain
templates, fill parameters one question at a time, dry run, approval, publish, link to the result;
and publishing refused without an approval."""

from __future__ import annotations

import pytest

from agent.audit import AuditLog
from agent.gate.policy import ApprovalDecision
from agent.service import AgentService
from tests.support.scaffolder import make_runtime


@pytest.fixture
def service(runtime):
    return AgentService(runtime)


def decide(service, result, who, kind="approve"):
    request = result.interrupt["request"]
    approver = service.principal(who)
    return service.decide(
        ApprovalDecision(
            request_id=request["id"], decision=kind, approver=approver.ref, args_hash=request["args_hash"]
        ),
        approver,
    )


def names(result):
    return [c["name"] for c in result.tool_calls]


def test_lists_and_explains_templates(service):
    me = service.principal("karim.nasser")
    listed = service.ask("which software templates can I use?", me)
    assert names(listed) == ["scaffolder_list_templates"]
    for ref in (
        "template:default/python-fastapi-service",
        "template:default/go-grpc-service",
        "template:default/techdocs",
    ):
        assert ref in listed.answer
    explained = service.ask("what parameters does the go-grpc-service template need?", me)
    assert names(explained) == ["scaffolder_describe_template"]
    assert "`port` (integer, optional, default `9090`)" in explained.answer
    assert "picker RepoUrlPicker" in explained.answer and "fs:rename" in explained.answer


def test_create_asks_for_missing_parameters_one_at_a_time_then_publishes_after_approval(service, runtime):
    me = service.principal("karim.nasser")
    first = service.ask("create a new Python service owned by team-billing", me)
    assert names(first) == ["scaffolder_fill"] and first.interrupt is None
    assert "**Name** (`name`)" in first.answer and "owner = `group:default/team-billing`" in first.answer
    second = service.ask("invoice-api", me, thread_id=first.thread_id)
    assert names(second) == ["scaffolder_fill", "scaffolder_dry_run", "scaffolder_publish"]
    assert second.interrupt is not None
    request = second.interrupt["request"]
    assert request["tool"] == "scaffolder_publish" and request["target"] == "template:default/python-fastapi-service"
    assert request["args"]["values"]["repoUrl"] == "local?owner=tessera&repo=invoice-api"
    preview = request["preview"]
    assert "12 files" in preview["summary"]
    assert "src/" in preview["details"] and "invoice_api/" in preview["details"]  # the dry-run tree
    assert "name: invoice-api" in preview["details"]  # and file contents
    repo = runtime.data_dir / "repos" / "tessera" / "invoice-api"
    assert not repo.exists()  # nothing is published before the approval
    assert runtime.catalog.get("component:default/invoice-api") is None
    done = decide(service, second, "leila.ahmadi")  # on-call of team-platform, the template's owner
    assert (repo / "src" / "invoice_api" / "main.py").is_file()
    assert "Registered in the catalog: component:default/invoice-api" in done.answer
    assert repo.resolve().as_uri() in done.answer
    assert runtime.catalog.owner_of("component:default/invoice-api") == "group:default/team-billing"
    events = [r["event"] for r in AuditLog(runtime.data_dir / "audit.jsonl").records()]
    assert events == ["approval.requested", "approval.approved", "mutation.executing", "mutation.result"]


def test_everything_in_one_ask_goes_straight_to_the_approval(service):
    me = service.principal("karim.nasser")
    result = service.ask("scaffold a Go service named ledger-sync owned by team-billing", me)
    assert names(result) == ["scaffolder_fill", "scaffolder_dry_run", "scaffolder_publish"]
    assert result.interrupt["request"]["args"]["template"] == "template:default/go-grpc-service"
    assert "proto/ledger-sync.proto" in result.interrupt["request"]["preview"]["details"]


def test_dry_run_only_then_publish_on_confirmation(service, runtime):
    me = service.principal("karim.nasser")
    dry = service.ask("dry run the techdocs template for a docs site called billing-handbook owned by team-billing", me)
    assert names(dry) == ["scaffolder_fill", "scaffolder_dry_run"] and dry.interrupt is None
    assert "how-to.md" in dry.answer and "Nothing was published" in dry.answer
    go = service.ask("yes, publish it", me, thread_id=dry.thread_id)
    assert go.interrupt is not None and names(go)[-1] == "scaffolder_publish"
    done = decide(service, go, "viktor.petrov")
    assert "component:default/billing-handbook" in done.answer
    assert (runtime.data_dir / "repos" / "tessera" / "billing-handbook" / "docs" / "runbooks.md").is_file()


def test_invalid_answers_are_explained_and_asked_again(service):
    me = service.principal("karim.nasser")
    first = service.ask("create a new python service owned by team-billing", me)
    bad = service.ask("Invoice API!", me, thread_id=first.thread_id)
    assert "does not match" in bad.answer and bad.interrupt is None
    assert "scaffolder_publish" not in names(bad)


def test_cancel_discards_the_draft(service):
    me = service.principal("karim.nasser")
    first = service.ask("create a new python service owned by team-billing", me)
    cancelled = service.ask("cancel", me, thread_id=first.thread_id)
    assert "Cancelled" in cancelled.answer and cancelled.interrupt is None


def test_a_rejected_publish_publishes_nothing(service, runtime):
    me = service.principal("karim.nasser")
    result = service.ask("create a new Python service called refunds-api owned by team-billing", me)
    assert result.interrupt is not None
    done = decide(service, result, "leila.ahmadi", kind="reject")
    assert "Nothing was published" in done.answer
    assert not (runtime.data_dir / "repos" / "tessera" / "refunds-api").exists()
    assert runtime.catalog.get("component:default/refunds-api") is None


def test_someone_outside_the_approvers_cannot_approve(service, runtime):
    from agent.service import DecisionRefused

    me = service.principal("karim.nasser")
    result = service.ask("create a new Python service called refunds-api owned by team-billing", me)
    with pytest.raises(DecisionRefused):
        decide(service, result, "karim.nasser")  # the requester is not an owner/on-call of the template
    assert not (runtime.data_dir / "repos" / "tessera" / "refunds-api").exists()


def test_publishing_is_refused_without_an_approval(tmp_path):
    """A model that calls scaffolder_publish directly still stops at the gate; a read-only user is refused."""
    from langchain_core.messages import AIMessage

    from tests.support.agent import ScriptedModel, call

    runtime = make_runtime(tmp_path)
    args = {"template": "python-fastapi-service", "values": {"name": "sneaky", "owner": "group:default/team-billing"}}
    service = AgentService(
        runtime, model=ScriptedModel(script=[call("scaffolder_publish", args), AIMessage(content="done")])
    )
    result = service.ask("publish it", service.principal("karim.nasser"))
    assert result.interrupt is not None
    assert not (runtime.data_dir / "repos").exists()
    anonymous = AgentService(
        make_runtime(tmp_path / "ro"),
        model=ScriptedModel(script=[call("scaffolder_publish", args), AIMessage(content="done")]),
    )
    refused = anonymous.ask("publish it", anonymous.principal("nobody-known"))
    assert refused.interrupt is None
    assert not (tmp_path / "ro" / "repos").exists()


def test_generate_a_template_then_use_it(service, runtime):
    me = service.principal("karim.nasser")
    result = service.ask("write a template for a Go gRPC service with a Postgres database", me)
    assert names(result) == ["scaffolder_generate_template"]
    assert "template:default/go-grpc-postgres-service" in result.answer and "dry run passed" in result.answer
    assert "Resource:example-service-db" in result.answer
    listed = service.ask("list the scaffolder templates", me)
    assert "template:default/go-grpc-postgres-service" in listed.answer
    used = service.ask("create ledger-db-api from the go-grpc-postgres-service template owned by team-billing", me)
    assert used.interrupt is not None
    assert "docker-compose.yml" in used.interrupt["request"]["preview"]["details"]
