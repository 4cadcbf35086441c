"""End to end through AgentService with the offline planner, on the demo organisation."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def service(demo_runtime):
    from agent.service import AgentService

    return AgentService(demo_runtime)


@pytest.mark.parametrize(
    "question,tool,facts",
    [
        ("what did checkout cost last month", "cost_breakdown", ["checkout", "USD", "October 2026", "Source:"]),
        ("why did our bill jump on the 8th", "cost_explain_day", ["2026-11-08", "search-indexer", "expected range"]),
        (
            "which services cost team-payments the most",
            "cost_breakdown",
            ["team-payments", "payments", "fraud-detection"],
        ),
        ("where can we save", "cost_rightsizing", ["image-resizer", "per month"]),
        ("what will we spend this month", "cost_forecast", ["November 2026", "prediction interval", "USD"]),
        ("forecast to the end of the quarter", "cost_forecast", ["Q4 2026", "prediction interval"]),
        ("show the daily cost trend for search over the last 30 days", "cost_daily", ["search", "/charts/"]),
        ("showback per team", "cost_showback", ["team-search", "(unallocated)"]),
    ],
)
def test_demo_questions(service, question, tool, facts):
    p = service.principal("user:default/aisha.khan", via="test")
    turn = service.ask(question, p)
    assert [c["name"] for c in turn.tool_calls] == [tool], turn.answer
    for fact in facts:
        assert fact in turn.answer, (fact, turn.answer)


def test_breakdown_totals_add_up_and_unallocated_is_listed(ctx):
    tools = ctx.runtime.tools
    by_team = tools["cost_breakdown"].run({"period": "last month", "by": "team", "top": 50, "chart": False}, ctx)
    by_provider = tools["cost_breakdown"].run({"period": "last month", "by": "provider", "chart": False}, ctx)
    assert by_team.ok and by_provider.ok
    assert sum(r["cost"] for r in by_team.data["rows"]) == pytest.approx(by_team.data["total"], abs=0.05)
    assert by_team.data["total"] == pytest.approx(by_provider.data["total"], abs=0.01)
    assert by_team.data["unallocated"]["cost"] > 0
    assert "service tag missing" in by_team.data["unallocated"]["reasons"]
    assert {r["key"] for r in by_provider.data["rows"]} == {"AWS", "ClickHouse"}
    for field in ("currency", "period", "source"):
        assert by_team.data[field]


def test_charts_are_written_as_png_and_svg(ctx):
    from pathlib import Path

    result = ctx.runtime.tools["cost_forecast"].run({"horizon": "month"}, ctx)
    chart = result.data["chart"]
    png, svg = Path(chart["png"]), Path(chart["svg"])
    assert png.parent == ctx.runtime.data_dir / "charts"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml") and "<svg" in svg.read_text(encoding="utf-8")
    assert chart["png_url"] == f"/charts/{png.name}" and chart["svg_url"] == f"/charts/{svg.name}"
    attached = [(a.kind, a.path, a.media_type) for a in result.attachments]  # what connectors show
    assert attached == [("chart", str(png), "image/png"), ("chart", str(svg), "image/svg+xml")]
    assert '"attachments"' not in result.to_text()  # for people only: the model is not sent them


def test_bad_period_is_a_clear_error(ctx):
    result = ctx.runtime.tools["cost_breakdown"].run({"period": "whenever"}, ctx)
    assert not result.ok and "cannot understand the period 'whenever'" in result.error


@pytest.mark.parametrize(
    "question,args",
    [
        # values of the billing data's own columns become filters
        ("how much did we spend on databases last month", {"service_category": "Databases"}),
        ("what did Amazon RDS cost last month", {"service_name": "Amazon Relational Database Service"}),
        ("what did the tessera-staging account cost last month", {"where": {"account": "tessera-staging"}}),
        # words for a FOCUS column make it the breakdown
        ("cost by service name last month", {"by": "service_name"}),
        ("break down last month's cost by charge category", {"by": "charge_category"}),
        # the demo's team and env tags are read through the catalog mapping, not as raw tags
        ("which team spends the most", {"by": "team"}),
        ("cost by environment in Q3", {"by": "environment"}),
    ],
)
def test_billing_values_and_dimensions_in_questions(service, question, args):
    p = service.principal("user:default/aisha.khan", via="test")
    turn = service.ask(question, p)
    assert turn.tool_calls[0]["name"] == "cost_breakdown", turn.answer
    called = turn.tool_calls[0]["args"]
    assert {k: called.get(k) for k in args} == args, called
