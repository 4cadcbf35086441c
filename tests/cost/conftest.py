"""Shared fixtures for the cost tests: "today" pinned to the demo organisation's day, and the fixtures folder.

Every Settings built in these tests reads ``PORTAL_AGENT_DEMO_TODAY`` from the environment, so
pinning it here means no cost test reads the wall clock for a period, whatever day it runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.cost.demo_data import DEMO_TODAY

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"


def fixture_dir(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_dir():
        pytest.skip(f"shared fixtures folder {path} is absent (fresh clone)")
    return path


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch):
    monkeypatch.setenv("PORTAL_AGENT_DEMO_TODAY", DEMO_TODAY.isoformat())


@pytest.fixture(scope="session")
def demo_runtime(tmp_path_factory):
    import tools.catalog
    import tools.cost
    from agent.runtime import Runtime
    from contract.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("cost-demo"), demo=True, demo_today=DEMO_TODAY)
    return Runtime(settings, builtin_families=False, extra_families=[tools.catalog.family, tools.cost.family])


@pytest.fixture(scope="session")
def ctx(demo_runtime):
    from contract.principal import Principal
    from contract.tooling import ToolContext

    return ToolContext(demo_runtime, Principal(ref="user:default/aisha.khan", groups=["group:default/team-payments"]))


def focus_runtime(tmp_path: Path, *paths: Path, **settings):
    """A runtime over these FOCUS files only (cost family alone, no catalog), and a guest's context."""
    import tools.cost
    from agent.runtime import Runtime
    from contract.principal import Principal
    from contract.settings import Settings
    from contract.tooling import ToolContext

    runtime = Runtime(
        Settings(data_dir=tmp_path, focus=[str(p) for p in paths], **settings),
        builtin_families=False,
        extra_families=[tools.cost.family],
    )
    return runtime, ToolContext(runtime, Principal(ref="user:default/guest"))
