"""runbook_search and runbook_get as tools: arguments, errors a model can act on, capped output."""

from __future__ import annotations

import pytest

from agent.runtime import Runtime
from contract.principal import Principal
from contract.settings import Settings
from contract.tooling import ToolContext
from tests.support.runbooks import GOOD


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    return Runtime(Settings(data_dir=tmp_path_factory.mktemp("rt"), demo=True))


@pytest.fixture(scope="module")
def ctx(runtime):
    return ToolContext(runtime=runtime, principal=Principal(ref="user:default/marco.bianchi"))


def run(runtime, ctx, tool_name, **args):
    return runtime.tools[tool_name].run(args, ctx)


def test_tools_are_read_only_and_described(runtime):
    for name in ("runbook_search", "runbook_get"):
        tool = runtime.tools[name]
        assert tool.family == "runbooks" and not tool.mutating
        assert len(tool.description) > 80
        assert tool.model_schema()["function"]["name"] == name


def test_search_returns_names_scores_and_why(runtime, ctx):
    result = run(runtime, ctx, "runbook_search", query="KubePodCrashLooping")
    assert result.ok
    hits = result.data["runbooks"]
    assert hits[0]["name"] == "crashloop" and hits[0]["why"] == "alert 'KubePodCrashLooping'"
    assert hits[0]["executable_steps"] == 5
    assert result.data["total_runbooks"] == 6
    assert result.query == {"tool": "runbook_search", "query": "KubePodCrashLooping", "limit": 5}


def test_search_by_entity_resolves_it_in_the_catalog(runtime, ctx):
    result = run(runtime, ctx, "runbook_search", entity="payments gateway")
    assert result.ok and result.refs == ["component:default/payments-gateway"]
    assert result.data["runbooks"][0]["name"] == "rotate-api-key"
    bad = run(runtime, ctx, "runbook_search", entity="no-such-service-xyz")
    assert not bad.ok and "no catalog entity 'no-such-service-xyz'" in bad.error


def test_get_with_an_entity_returns_ready_calls(runtime, ctx):
    result = run(runtime, ctx, "runbook_get", name="crashloop", entity="checkout")
    assert result.ok and result.refs == ["component:default/checkout"]
    data = result.data
    assert data["entity"] == "component:default/checkout" and data["applies"] == "kind"
    steps = {s["number"]: s for s in data["steps"]}
    assert steps[1]["call"] == {"name": "k8s_diagnose", "args": {"name": "component:default/checkout"}}
    assert steps[2]["call"]["args"] == {"name": "component:default/checkout", "previous": True, "tail": 200}
    assert steps[5]["call"]["name"] == "k8s_rollback" and steps[5]["mutating"] is True
    assert steps[4]["manual"] is True and "apps/commerce/checkout/values-prod.yaml" in steps[4]["text"]
    assert result.source == data["source"] == "demo/runbooks/crashloop.md"  # relative to the checkout


def test_get_fills_per_entity_params_and_caller_params(runtime, ctx):
    failover = run(runtime, ctx, "runbook_get", name="database-failover", entity="payments-db").data
    restart = next(s for s in failover["steps"] if s.get("tool") == "k8s_rollout_restart")
    assert restart["call"]["args"] == {"name": "payments"}
    lag = run(runtime, ctx, "runbook_get", name="kafka-consumer-lag", entity="shipping", params={"replicas": 9}).data
    scale = next(s for s in lag["steps"] if s.get("tool") == "k8s_scale")
    assert scale["call"]["args"] == {"name": "component:default/shipping", "replicas": 9}
    assert "--group shipping" in lag["steps"][0]["text"]


def test_get_errors_name_the_problem(runtime, ctx):
    unknown = run(runtime, ctx, "runbook_get", name="crashlop-restart-everything")
    assert not unknown.ok and "no runbook named 'crashlop-restart-everything' among 6 runbooks" in unknown.error
    assert "closest: crashloop" in unknown.error
    no_entity = run(runtime, ctx, "runbook_get", name="oomkilled", entity="nope-not-here")
    assert not no_entity.ok and "no catalog entity" in no_entity.error
    invalid = runtime.tools["runbook_get"].run({"entity": "checkout"}, ctx)
    assert not invalid.ok and "invalid arguments for runbook_get" in invalid.error


def test_long_runbooks_are_capped_and_say_so(tmp_path):
    long = GOOD.replace("Page the on-call.", "Page the on-call. " + "Very long text. " * 400)
    (tmp_path / "long.md").write_text(long, encoding="utf-8")
    runtime = Runtime(Settings(data_dir=tmp_path / "data", runbooks=[str(tmp_path)]))
    ctx = ToolContext(runtime=runtime, principal=Principal(ref="user:default/guest"))
    data = runtime.tools["runbook_get"].run({"name": "long"}, ctx).data
    escalation = data["sections"][0]["text"]
    assert len(escalation) <= 1200 and escalation.endswith("…")
    assert "shortened" in data["truncated"] and data["source"].endswith("long.md")
    # The widget tools do not exist here: the step says so instead of carrying a call.
    assert data["steps"][2]["blocked"] == "step 3 needs tool restart_widget which is not enabled"
    assert runtime.tools["runbook_get"].run({"name": "long"}, ctx).to_text().count("Very long text") < 100


def test_files_that_did_not_load_are_named_in_search_results(tmp_path):
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.md").write_text(GOOD.replace("tool: widget_status", "tool: ''"), encoding="utf-8")
    runtime = Runtime(Settings(data_dir=tmp_path / "data", runbooks=[str(tmp_path)]))
    ctx = ToolContext(runtime=runtime, principal=Principal(ref="user:default/guest"))
    result = runtime.tools["runbook_search"].run({"query": "widget"}, ctx)
    assert [h["name"] for h in result.data["runbooks"]] == ["good"]
    assert (
        result.note == f"1 runbook file(s) not loaded: {tmp_path / 'bad.md'}:16: step 1: the ```portal-agent "
        "block needs 'tool: <tool name>'"
    )


def test_the_llm_guidance_is_part_of_the_system_prompt():
    from agent.prompts import system_prompt

    text = system_prompt(principal="user:default/x", via="cli", families=["catalog", "runbooks"])
    assert "runbook_get" in text and "approval gate" in text
    assert "runbook_get" not in system_prompt(principal="user:default/x", via="cli", families=["catalog"])


@pytest.mark.parametrize(
    ("runbook", "entity"),
    [
        ("crashloop", "checkout"),
        ("high-latency", "search"),
        ("oomkilled", "search-indexer"),
        ("database-failover", "orders-db"),
        ("rotate-api-key", "payments-gateway"),
        ("kafka-consumer-lag", "search-indexer"),
    ],
)
def test_demo_steps_call_real_tools_with_valid_arguments(runtime, ctx, runbook, entity):
    """Every executable step of the demo runbooks names an enabled tool and arguments its schema accepts."""
    data = run(runtime, ctx, "runbook_get", name=runbook, entity=entity).data
    assert data["applies"] in ("ref", "kind", "type")
    executable = [s for s in data["steps"] if s.get("tool")]
    assert executable
    for step in executable:
        assert "blocked" not in step, step
        tool = runtime.tools[step["call"]["name"]]
        tool.parse(step["call"]["args"])  # raises if an argument is misnamed or mistyped
        assert step["mutating"] == tool.mutating
    assert any(s["mutating"] for s in executable) == (runbook != "oomkilled")
