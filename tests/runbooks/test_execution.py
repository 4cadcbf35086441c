"""Filling placeholders and walking a runbook's steps against the results of a turn."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from contract.intents import StepResult
from tests.support.runbooks import GOOD
from tools.runbooks.execution import RenderError, render, render_steps, report, summarize, variables_for, walk
from tools.runbooks.parsers import parse_text


def entity(name="widget-api", kind="Component", annotations=None, spec=None):
    return SimpleNamespace(
        ref=f"{kind.lower()}:default/{name}",
        name=name,
        kind=kind,
        annotations=annotations or {},
        spec=spec or {},
        metadata=SimpleNamespace(title=None),
        tags=[],
        type=None,
    )


def tool(mutating=False):
    return SimpleNamespace(mutating=mutating)


def ok(name, data=None):
    return StepResult(name=name, args={}, result={"ok": True, "data": data})


def failed(name, error):
    return StepResult(name=name, args={}, result={"ok": False, "error": error})


def test_render_fills_values_and_keeps_types():
    values = {"entity": "component:default/x", "replicas": 4, "params": {"replicas": 4}}
    assert render({"name": "{{ entity }}", "replicas": "{{ replicas }}"}, values) == {
        "name": "component:default/x",
        "replicas": 4,
    }
    assert render("scale {{entity}} to {{ params.replicas }}", values) == "scale component:default/x to 4"
    assert render(["{{ replicas }}", 3, True], values) == [4, 3, True]
    with pytest.raises(RenderError, match="needs a value for"):
        render("{{ missing }}", values)


def test_variables_come_from_the_entity_params_and_per_entity_values(tmp_path):
    text = GOOD.replace("params: {replicas: 2}", "params: {replicas: 2}\nper_entity: {widget-api: {replicas: 6}}")
    runbook = parse_text(text, tmp_path / "w.md")
    target = entity(annotations={"backstage.io/kubernetes-namespace": "widgets"}, spec={"owner": "team-widgets"})
    values = variables_for(target, runbook)
    assert values["entity"] == "component:default/widget-api" and values["name"] == "widget-api"
    assert values["namespace"] == "widgets" and values["owner"] == "team-widgets"
    assert values["replicas"] == 6  # per_entity wins over params
    assert variables_for(entity("widget-lab"), runbook)["replicas"] == 2
    assert variables_for(target, runbook, {"replicas": 9})["replicas"] == 9  # asked for explicitly


def test_render_steps_says_why_a_step_cannot_run(tmp_path):
    runbook = parse_text(GOOD.replace('"{{ name }}"', '"{{ namespace }}"'), tmp_path / "w.md")
    tools = {"widget_status": tool(), "restart_widget": tool(mutating=True)}
    steps = render_steps(runbook, entity(), tools)
    assert steps[0]["blocked"].startswith("step 1 needs {{ namespace }}, but component:default/widget-api has no")
    assert steps[1]["manual"] is True
    assert steps[2]["call"] == {"name": "restart_widget", "args": {"name": "component:default/widget-api"}}
    assert steps[2]["mutating"] is True
    no_entity = render_steps(runbook, None, tools)
    assert "needs an entity" in no_entity[2]["blocked"]
    missing_tool = render_steps(runbook, entity(), {"widget_status": tool()})
    assert missing_tool[2]["blocked"] == "step 3 needs tool restart_widget which is not enabled"


def _steps(tmp_path, tools=None):
    runbook = parse_text(GOOD, tmp_path / "w.md")
    tools = tools or {"widget_status": tool(), "restart_widget": tool(mutating=True)}
    return render_steps(runbook, entity(), tools)


def test_walk_batches_reads_then_sends_a_mutation_alone(tmp_path):
    steps = _steps(tmp_path)
    outcomes, batch, batches = walk(steps, [])
    assert [c["name"] for c in batch] == ["widget_status"] and batches == 0
    outcomes, batch, batches = walk(steps, [ok("widget_status", {"status": "stuck"})])
    assert [c["name"] for c in batch] == ["restart_widget"] and batches == 1
    assert [o.status for o in outcomes] == ["done", "manual", "waiting-approval"]
    assert outcomes[0].detail == "status: stuck"
    outcomes, batch, batches = walk(steps, [ok("widget_status", {}), ok("restart_widget", {"restarted": "x"})])
    assert batch == [] and batches == 2
    text = report({"name": "w", "title": "Widget restart"}, "component:default/widget-api", outcomes, finished=True)
    assert "3. **Restart it** [done]" in text and "Finished: 2 done, 1 manual." in text
    assert "Tell the team" in text  # manual steps are shown as instructions


def test_walk_stops_after_a_mutation_that_did_not_run(tmp_path):
    text = GOOD + "4. **Check again.**\n   ```portal-agent\n   tool: widget_status\n   args: {name: x}\n   ```\n"
    runbook = parse_text(text.replace("## Escalation\n\nPage the on-call.\n", ""), tmp_path / "w.md")
    steps = render_steps(runbook, entity(), {"widget_status": tool(), "restart_widget": tool(mutating=True)})
    results = [ok("widget_status"), failed("restart_widget", "not executed: approval rejected: not now")]
    outcomes, batch, _ = walk(steps, results)
    assert batch == []
    assert [o.status for o in outcomes] == ["done", "manual", "not-executed", "not-executed"]
    assert outcomes[3].detail == "not executed: step 3 (Restart it) did not complete"
    # A read step that fails does not stop the runbook.
    outcomes, batch, _ = walk(steps, [failed("widget_status", "boom")])
    assert outcomes[0].status == "failed" and [c["name"] for c in batch] == ["restart_widget"]


def test_reads_around_a_manual_or_blocked_step_go_out_together(tmp_path):
    extra = "4. **Read more.**\n   ```portal-agent\n   tool: widget_status\n   args: {name: y}\n   ```\n"
    runbook = parse_text(GOOD.replace("## Escalation", extra + "\n## Escalation"), Path(tmp_path / "w.md"))
    steps = render_steps(runbook, entity(), {"widget_status": tool()})  # restart_widget not enabled
    outcomes, batch, _ = walk(steps, [])
    assert [c["args"]["name"] for c in batch] == ["widget-api", "y"]
    assert outcomes[2].status == "blocked" and "needs tool restart_widget" in outcomes[2].detail


def test_summaries_are_short_and_use_known_shapes():
    diagnosis = {
        "workload": "Deployment checkout ready 0/3 rev 14",
        "healthy": False,
        "findings": [{"mode": "crashloop", "summary": "container checkout is crash-looping"}],
    }
    assert summarize({"ok": True, "data": diagnosis}) == (
        "workload: Deployment checkout ready 0/3 rev 14; findings: container checkout is crash-looping"
    )
    log = {"pod": "checkout-1", "previous": True, "log": "-- 2 error line(s) --\nstarting\nconfig error: X unset"}
    assert summarize({"ok": True, "data": log}) == "log of checkout-1 (previous container): config error: X unset"
    assert len(summarize({"ok": True, "data": "x" * 5000})) <= 280
    assert summarize({"ok": True, "data": None, "note": "nothing to do"}) == "nothing to do"
