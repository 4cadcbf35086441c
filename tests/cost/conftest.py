"""Shared fixtures for the cost tests: a demo runtime pinned to the demo organisation's 'today'."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

DEMO_TODAY = date(2026, 11, 24)
FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"


def fixture_dir(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_dir():
        pytest.skip(f"shared fixtures folder {path} is absent (fresh clone)")
    return path


@pytest.fixture(scope="session")
def demo_runtime(tmp_path_factory):
    import tools.catalog
    import tools.cost
    from agent.config import Settings
    from agent.runtime import Runtime

    settings = Settings(data_dir=tmp_path_factory.mktemp("cost-demo"), demo=True, demo_today=DEMO_TODAY)
    return Runtime(settings, builtin_families=False, extra_families=[tools.catalog.family, tools.cost.family])


@pytest.fixture(scope="session")
def ctx(demo_runtime):
    from agent.identity import Principal
    from agent.tooling import ToolContext

    return ToolContext(demo_runtime, Principal(ref="user:default/aisha.khan", groups=["group:default/team-payments"]))
