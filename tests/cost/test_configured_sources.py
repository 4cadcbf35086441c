"""Configured (non-demo) FOCUS sources: the sample maps to no catalog entity, so it is all unallocated."""

from __future__ import annotations

import pytest

from tests.cost.conftest import fixture_dir


def test_focus_sample_through_the_tool_reports_unallocated(tmp_path):
    import tools.cost
    from agent.config import Settings
    from agent.identity import Principal
    from agent.runtime import Runtime
    from agent.tooling import ToolContext

    sample = fixture_dir("focus") / "focus_sample.csv"
    runtime = Runtime(
        Settings(data_dir=tmp_path, focus=[str(sample)]), builtin_families=False, extra_families=[tools.cost.family]
    )
    ctx = ToolContext(runtime, Principal(ref="user:default/guest"))
    result = runtime.tools["cost_breakdown"].run(
        {"period": "2024-09-01 to 2024-09-30", "by": "entity", "chart": False}, ctx
    )
    assert result.ok, result.error
    data = result.data
    assert data["currency"] == "USD" and data["period"]["label"] == "2024-09-01 to 2024-09-30"
    assert str(sample) in data["source"]
    # the sample's tags (application, environment, business_unit…) name nothing in the catalog
    assert [r["key"] for r in data["rows"]] == ["(unallocated)"]
    assert data["unallocated"]["cost"] == pytest.approx(data["total"], abs=0.01)
    assert set(data["unallocated"]["reasons"]) == {"service tag missing"}
    by_env = runtime.tools["cost_breakdown"].run(
        {"period": "2024-09-01 to 2024-09-30", "by": "environment", "chart": False}, ctx
    )
    assert {"dev", "prod"} <= {r["key"] for r in by_env.data["rows"]}  # the sample's `environment` tag
    outside = runtime.tools["cost_breakdown"].run({"period": "last month", "chart": False}, ctx)
    assert outside.ok and outside.data["total"] == 0
    assert "no billing data for" in outside.note and "2024-09-01 to 2024-09-30" in outside.note


def test_custom_tag_keys_map_the_sample_application_tag(tmp_path):
    import tools.cost
    from agent.config import Settings
    from agent.identity import Principal
    from agent.runtime import Runtime
    from agent.tooling import ToolContext

    sample = fixture_dir("focus") / "focus_sample.csv"
    runtime = Runtime(
        Settings(data_dir=tmp_path, focus=[str(sample)], cost_entity_tags="application"),
        builtin_families=False,
        extra_families=[tools.cost.family],
    )
    ctx = ToolContext(runtime, Principal(ref="user:default/guest"))
    result = runtime.tools["cost_breakdown"].run({"period": "2024-09-01 to 2024-09-30", "chart": False}, ctx)
    unallocated = result.data["unallocated"]
    assert set(unallocated["reasons"]) == {"application tag value is not in the catalog", "application tag missing"}
    assert "BrightPathMatrix" in unallocated["unknown_tag_values"]  # the sample's most common application
    assert unallocated["cost"] == pytest.approx(result.data["total"], abs=0.01)
