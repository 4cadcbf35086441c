"""Period-over-period, the explain-day verdicts, currencies kept apart, and the effective-cost metric."""

from __future__ import annotations

import pytest

from tests.support.cost import fixture_dir


def test_change_is_consistent_and_finds_the_anomaly_as_top_mover(ctx):
    result = ctx.runtime.tools["cost_change"].run(
        {"period": "2026-11-01 to 2026-11-24", "compare_to": "2026-10-01 to 2026-10-24", "by": "entity", "top": 20}, ctx
    )
    assert result.ok, result.error
    d = result.data
    assert d["change"] == pytest.approx(d["current_total"] - d["previous_total"], abs=0.02)
    top = d["top_movers"][0]
    assert top["key"] == "search-indexer" and top["change"] > 500
    gpu = next(m for m in d["top_movers"] if m["key"] == "recommendations-model")
    assert gpu["change"] < 0  # the GPU node group was scaled to zero on 2026-11-20


def test_explain_day_flags_the_anomaly_but_not_a_normal_day(ctx):
    tool = ctx.runtime.tools["cost_explain_day"]
    spike = tool.run({"day": "2026-11-08"}, ctx).data
    normal = tool.run({"day": "the 12th"}, ctx).data
    assert spike["unusual"] and spike["top_contributors"][0]["key"] == "search-indexer"
    assert normal["day"] == "2026-11-12" and not normal["unusual"]
    lo, hi = normal["expected_range"]
    assert lo <= normal["actual"] <= hi


def test_currencies_are_never_added_together(tmp_path):
    import tools.cost
    from agent.runtime import Runtime
    from contract.principal import Principal
    from contract.settings import Settings
    from contract.tooling import ToolContext

    f = tmp_path / "multi.csv"
    f.write_text(
        "BilledCost,BillingCurrency,ChargePeriodStart,ProviderName,ServiceCategory,Tags\n"
        "100,USD,2026-10-03T00:00:00Z,AWS,Compute,\n"
        "50,USD,2026-10-04T00:00:00Z,AWS,Storage,\n"
        "70,EUR,2026-10-03T00:00:00Z,Microsoft,Compute,\n",
        encoding="utf-8",
    )
    runtime = Runtime(
        Settings(data_dir=tmp_path / "d", focus=[str(f)]), builtin_families=False, extra_families=[tools.cost.family]
    )
    ctx = ToolContext(runtime, Principal(ref="user:default/guest"))
    d = (
        runtime.tools["cost_breakdown"]
        .run({"period": "2026-10-01 to 2026-10-31", "by": "provider", "chart": False}, ctx)
        .data
    )
    assert d["currency"] == "USD" and d["total"] == 150
    assert d["other_currencies"] == {"EUR": 70}
    assert [r["key"] for r in d["rows"]] == ["AWS"]


def test_effective_cost_metric_differs_from_billed_on_the_sample(tmp_path):
    import tools.cost
    from agent.runtime import Runtime
    from contract.principal import Principal
    from contract.settings import Settings
    from contract.tooling import ToolContext

    sample = fixture_dir("focus") / "focus_sample.csv"
    runtime = Runtime(
        Settings(data_dir=tmp_path, focus=[str(sample)]), builtin_families=False, extra_families=[tools.cost.family]
    )
    ctx = ToolContext(runtime, Principal(ref="user:default/guest"))
    args = {"period": "2024-09-01 to 2024-09-30", "by": "provider", "chart": False}
    billed = runtime.tools["cost_breakdown"].run(args, ctx).data
    effective = runtime.tools["cost_breakdown"].run({**args, "metric": "effective"}, ctx).data
    assert effective["metric"] == "effective"
    # SOURCES.md: AWS EffectiveCost is rounded to whole numbers in this sample, so it differs from BilledCost
    aws_b = next(r["cost"] for r in billed["rows"] if r["key"] == "AWS")
    aws_e = next(r["cost"] for r in effective["rows"] if r["key"] == "AWS")
    assert aws_b != aws_e


def test_focus_columns_and_tag_keys_work_as_breakdowns_and_filters(ctx):
    tool = ctx.runtime.tools["cost_breakdown"]
    base = {"period": "last month", "top": 50, "chart": False}
    by_service = tool.run({**base, "by": "service_name"}, ctx).data
    by_tag = tool.run({**base, "by": "tag:env"}, ctx).data
    by_env = tool.run({**base, "by": "environment"}, ctx).data
    assert by_service["total"] == pytest.approx(by_tag["total"], abs=0.01)
    assert "Amazon Elastic Compute Cloud" in {r["key"] for r in by_service["rows"]}
    # a filter gives the figure the breakdown row shows, whichever way the dimension is named
    staging_env = {r["key"]: r["cost"] for r in by_env["rows"]}["staging"]
    staging_tag = tool.run({**base, "where": {"tag:env": "staging"}}, ctx).data["total"]
    assert staging_env == pytest.approx(staging_tag, abs=0.01)
    by_account = {r["key"]: r["cost"] for r in tool.run({**base, "by": "account"}, ctx).data["rows"]}
    staging_account = tool.run({**base, "where": {"account": "TESSERA-STAGING"}}, ctx).data["total"]
    assert staging_account == pytest.approx(by_account["tessera-staging"], abs=0.01)
    assert staging_account > staging_tag  # the staging account also pays for untagged lines
    assert by_env["environment_from_tags"].keys() == {"env", "(not set)"}


def test_bad_dimensions_and_unknown_values_say_what_is_wrong(ctx):
    tool = ctx.runtime.tools["cost_breakdown"]
    bad_tag = tool.run({"by": "tag:", "chart": False}, ctx)
    assert not bad_tag.ok and "by" in bad_tag.error
    bad_where = tool.run({"where": {"colour": "blue"}, "chart": False}, ctx)
    assert not bad_where.ok and "unknown dimension 'colour'" in bad_where.error and "tag:<key>" in bad_where.error
    typo = tool.run({"period": "last month", "service_name": "Amazon RDS", "chart": False}, ctx)
    assert typo.ok and typo.data["total"] == 0
    assert "ServiceName has no value 'Amazon RDS' in the billing data" in typo.note
    assert "Amazon Relational Database Service" in typo.note or "closest" in typo.note


def test_several_values_and_exclusions_through_the_tool(ctx):
    tool = ctx.runtime.tools["cost_breakdown"]
    base = {"period": "last month", "by": "service_name", "top": 50, "chart": False}
    rows = {r["key"]: r["cost"] for r in tool.run(base, ctx).data["rows"]}
    two = ["Amazon Relational Database Service", "Amazon ElastiCache"]
    both = tool.run({**base, "where": {"service_name": two}}, ctx).data
    assert {r["key"] for r in both["rows"]} == set(two)
    assert both["total"] == pytest.approx(sum(rows[k] for k in two), abs=0.02)
    without = tool.run({**base, "exclude": {"service_name": two}}, ctx).data
    assert not {r["key"] for r in without["rows"]} & set(two)
    assert without["total"] == pytest.approx(sum(rows.values()) - both["total"], abs=0.05)
    assert both["filters"] == {"service_name": two} and without["filters"] == {"not service_name": two}
