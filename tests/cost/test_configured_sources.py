"""Configured (non-demo) FOCUS sources: the FinOps Foundation sample, whose tags name no catalog entity.

Expected figures are computed here with the csv module and Decimal, never with the engine.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.support.cost import ask, focus_runtime, focus_sample, focus_sample_rows

SEPTEMBER = "2024-09-01 to 2024-09-30"


def _sum(rows) -> Decimal:
    return sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))


def _tag(row, key):
    return json.loads(row["Tags"]).get(key) if row["Tags"] != "NULL" else None


def test_a_breakdown_by_service_is_by_service_name_when_no_tag_maps_to_the_catalog(tmp_path):
    runtime, ctx = focus_runtime(tmp_path, focus_sample())
    result = runtime.tools["cost_breakdown"].run({"period": SEPTEMBER, "by": "entity", "top": 50, "chart": False}, ctx)
    assert result.ok, result.error
    data = result.data
    assert data["currency"] == "USD" and data["period"]["label"] == SEPTEMBER
    assert str(focus_sample()) in data["source"]
    assert data["by"] == "service_name" and data["fallback"]["from"] == "entity"
    assert "service tag missing" in data["fallback"]["reason"]
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in focus_sample_rows():
        expected[row["ServiceName"]] += Decimal(row["BilledCost"])
    assert {r["key"] for r in data["rows"]} == set(expected)  # 33 services, all shown (top 50)
    assert [r["cost"] for r in data["rows"]] == sorted((r["cost"] for r in data["rows"]), reverse=True)
    for row in data["rows"]:
        assert row["cost"] == pytest.approx(float(expected[row["key"]]), abs=0.005)
    assert "(unallocated)" not in {r["key"] for r in data["rows"]}
    assert data["unallocated"]["cost"] == pytest.approx(data["total"], abs=0.01)  # still said: nothing maps
    assert {"application", "environment", "business_unit"} <= set(data["tag_keys"])


def test_custom_tag_keys_map_the_sample_application_tag(tmp_path):
    runtime, ctx = focus_runtime(tmp_path, focus_sample(), cost_entity_tags="application")
    result = runtime.tools["cost_breakdown"].run({"period": SEPTEMBER, "by": "entity", "chart": False}, ctx)
    unallocated = result.data["unallocated"]
    assert set(unallocated["reasons"]) == {"application tag value is not in the catalog", "application tag missing"}
    assert "BrightPathMatrix" in unallocated["unknown_tag_values"]  # the sample's most common application
    assert unallocated["cost"] == pytest.approx(result.data["total"], abs=0.01)


def test_a_period_outside_the_data_says_what_the_data_covers(tmp_path):
    runtime, ctx = focus_runtime(tmp_path, focus_sample())
    outside = runtime.tools["cost_breakdown"].run({"period": "last month", "chart": False}, ctx)
    assert outside.ok and outside.data["total"] == 0
    assert "no billing data for" in outside.note and "2024-09-01 to 2024-09-30" in outside.note
    default = runtime.tools["cost_breakdown"].run({"chart": False}, ctx)  # no period: the data's latest month
    assert default.data["period"]["label"] == "September 2024"
    assert default.data["total"] == pytest.approx(float(_sum(focus_sample_rows())), abs=0.005)


def test_a_tag_filter_reads_that_tag_key_only_and_says_what_another_key_holds(tmp_path):
    rows = focus_sample_rows()
    environment_prod = [r for r in rows if _tag(r, "environment") == "prod"]
    env_prod = [r for r in rows if _tag(r, "env") == "prod"]
    assert len(environment_prod) == 234  # as SOURCES.md and the issue count them
    runtime, ctx = focus_runtime(tmp_path, focus_sample())
    tool = runtime.tools["cost_breakdown"]
    by_tag = tool.run({"period": SEPTEMBER, "where": {"tag:environment": "prod"}, "chart": False}, ctx).data
    assert by_tag["total"] == pytest.approx(float(_sum(environment_prod)), abs=0.005)  # 2.04
    assert by_tag["same_value_under_other_tags"] == {"env=prod": pytest.approx(float(_sum(env_prod)), abs=0.005)}
    # the mapped environment reads every configured environment key (env, environment), and says so
    mapped = tool.run({"period": SEPTEMBER, "environment": "prod", "chart": False}, ctx).data
    assert mapped["total"] == pytest.approx(float(_sum(environment_prod + env_prod)), abs=0.005)
    assert mapped["environment_from_tags"] == {
        "env": pytest.approx(float(_sum(env_prod)), abs=0.005),
        "environment": pytest.approx(float(_sum(environment_prod)), abs=0.005),
    }


def _usd(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,} USD"


def test_the_prod_environment_is_the_environment_tag_the_question_names(sample_service):
    rows = focus_sample_rows()
    expected = _usd(_sum([r for r in rows if _tag(r, "environment") == "prod"]))
    other = _usd(_sum([r for r in rows if _tag(r, "env") == "prod"]))
    turn, answer = ask(sample_service, "what did the prod environment cost in September 2024?")
    assert [c["name"] for c in turn.tool_calls] == ["cost_breakdown"]
    assert f"cost **{expected}**" in answer, answer  # 2.04 USD, not 4.17
    assert f"{other} tagged env=prod" in answer  # the other environment key is named, not added


def test_a_question_naming_a_service_gets_its_figure(sample_service):
    rds = _usd(_sum([r for r in focus_sample_rows() if r["ServiceName"] == "Amazon Relational Database Service"]))
    for question in (
        "what did Amazon Relational Database Service cost us in September 2024?",
        "how much did RDS cost in September 2024?",
    ):
        turn, answer = ask(sample_service, question)
        assert turn.tool_calls[0]["args"]["service_name"] == "Amazon Relational Database Service"
        assert f"**Amazon Relational Database Service** cost **{rds}** in September 2024" in answer, answer


def test_questions_by_a_tag_key_and_by_a_tag_value(sample_service):
    rows = focus_sample_rows()
    turn, answer = ask(sample_service, "which application cost the most in September 2024?")
    assert turn.tool_calls[0]["args"]["by"] == "tag:application"
    per_app: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        per_app[_tag(r, "application") or "(not set)"] += Decimal(r["BilledCost"])
    top, cost = max(per_app.items(), key=lambda kv: kv[1])
    assert f"- {top}: {_usd(cost)}" in answer
    turn, answer = ask(sample_service, f"what did {top} cost in September 2024?")
    assert turn.tool_calls[0]["args"]["where"] == {"tag:application": top}
    assert f"cost **{_usd(cost)}**" in answer


def test_period_over_period_movers_are_by_service_name_when_nothing_maps(tmp_path):
    runtime, ctx = focus_runtime(tmp_path, focus_sample())
    halves = {"period": "2024-09-16 to 2024-09-30", "compare_to": "2024-09-01 to 2024-09-15"}
    d = runtime.tools["cost_change"].run({**halves, "by": "entity", "top": 3}, ctx).data
    assert d["by"] == "service_name" and d["fallback"]["from"] == "entity"
    late: dict[str, Decimal] = defaultdict(Decimal)
    for row in focus_sample_rows():
        if row["ChargePeriodStart"] >= "2024-09-16":
            late[row["ServiceName"]] += Decimal(row["BilledCost"])
    top = d["top_movers"][0]
    assert top["current"] == pytest.approx(float(late[top["key"]]), abs=0.005)


def test_no_forecast_from_an_export_that_ended_long_ago(tmp_path):
    runtime, ctx = focus_runtime(tmp_path, focus_sample())
    result = runtime.tools["cost_forecast"].run({"horizon": "month", "chart": False}, ctx)
    assert not result.ok
    assert "the billing data ends on 2024-09-30, before November 2026 began" in result.error
