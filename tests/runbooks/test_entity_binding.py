"""A runbook's changes are bound to the entity it runs for.

A runbook run "for pricing" may change pricing, or what its ``per_entity`` section names for
pricing; a step that hard-codes another service (or takes it from a runbook-wide default) is
refused with a message instead of becoming a change request for that other service.
"""

from __future__ import annotations

import textwrap

import pytest

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings

HARD_CODED = textwrap.dedent(
    """\
    ---
    title: Pool reset
    applies_to: [component:pricing, component:checkout]
    params: {consumer: checkout}
    per_entity:
      checkout: {consumer: checkout}
    ---

    # Pool reset

    ## Steps

    1. **Look at the service.**
       ```portal-agent
       tool: k8s_workloads
       args: {name: "{{ entity }}"}
       ```
    2. **Restart checkout.**
       ```portal-agent
       tool: k8s_rollout_restart
       args: {name: checkout}
       ```
    3. **Restart the consumer.**
       ```portal-agent
       tool: k8s_rollout_restart
       args: {name: "{{ consumer }}"}
       ```
    4. **Check it again.**
       ```portal-agent
       tool: k8s_workloads
       args: {name: "{{ entity }}"}
       ```
    """
)

BOUND = HARD_CODED.replace("args: {name: checkout}", 'args: {name: "{{ entity }}"}')


def service_with(tmp_path, text: str) -> AgentService:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "pool-reset.md").write_text(text, encoding="utf-8")
    runtime = Runtime(Settings(data_dir=tmp_path / "data", demo=True, runbooks=[str(folder)]))
    if "k8s_rollout_restart" not in runtime.tools:
        pytest.skip("the kubernetes family is not available in this build")
    return AgentService(runtime)


def names(result) -> list[str]:
    return [c["name"] for c in result.tool_calls]


def test_a_hard_coded_other_service_is_refused_not_requested(tmp_path):
    service = service_with(tmp_path, HARD_CODED)
    result = service.ask("run the pool-reset runbook for pricing", service.principal("marco.bianchi"))
    assert result.interrupt is None  # no change request at all, for checkout or anyone
    assert "k8s_rollout_restart" not in names(result)
    assert names(result) == ["runbook_get", "k8s_workloads"]
    assert (
        "step 2 would change component:default/checkout, but this runbook is being run for component:default/pricing"
        in result.answer
    )
    # The runbook-wide default (consumer: checkout) is not a value for pricing either.
    assert "step 3 would change component:default/checkout" in result.answer
    # Nothing after a change that did not happen runs: later steps may assume it.
    assert "4. **Check it again** [not executed]" in result.answer


def test_the_runbooks_own_entity_and_its_per_entity_values_still_run(tmp_path):
    service = service_with(tmp_path, BOUND)
    result = service.ask("run the pool-reset runbook for pricing", service.principal("marco.bianchi"))
    assert result.interrupt["request"]["target"] == "component:default/pricing"
    checkout = service.ask("run the pool-reset runbook for checkout", service.principal("marco.bianchi"))
    assert checkout.interrupt["request"]["target"] == "component:default/checkout"


def test_runbook_get_shows_the_refusal_to_a_model(tmp_path):
    service = service_with(tmp_path, HARD_CODED)
    from contract.tooling import ToolContext

    ctx = ToolContext(runtime=service.runtime, principal=service.principal("marco.bianchi"))
    result = service.runtime.tools["runbook_get"].run({"name": "pool-reset", "entity": "pricing"}, ctx)
    steps = result.data["steps"]
    assert "call" not in steps[1] and steps[1]["mutating"] is True
    assert steps[1]["blocked"].startswith("step 2 would change component:default/checkout")
    assert steps[0]["call"] == {"name": "k8s_workloads", "args": {"name": "component:default/pricing"}}
