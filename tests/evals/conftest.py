"""The eval tests run with "today" pinned to the demo organisation's day, like the eval runner."""

from __future__ import annotations

import pytest

from tools.cost.demo_data import DEMO_TODAY


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch):
    monkeypatch.setenv("PORTAL_AGENT_DEMO_TODAY", DEMO_TODAY.isoformat())
