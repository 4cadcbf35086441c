"""Fixtures of the cost tests: "today" pinned to the demo organisation's day, a demo runtime.

Every Settings built in these tests reads ``PORTAL_AGENT_DEMO_TODAY`` from the environment, so
pinning it here means no cost test reads the wall clock for a period, whatever day it runs.
"""

from __future__ import annotations

import pytest

from demo import DEMO_TODAY


@pytest.fixture(autouse=True)
def _pinned_today(demo_today):
    """Every cost test runs on the demo organisation's day."""


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


@pytest.fixture(scope="session")
def sample_service(tmp_path_factory):
    """The whole agent over the FOCUS sample export alone (no catalog)."""
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import Settings
    from tests.support.cost import focus_sample

    settings = Settings(data_dir=tmp_path_factory.mktemp("sample"), focus=[str(focus_sample())], demo_today=DEMO_TODAY)
    return AgentService(Runtime(settings))
