"""Shared fixtures: where the real prometheus-operator runbooks are, and the demo runbooks."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / ".." / "shared" / "fixtures" / "runbooks" / "prometheus-operator__runbooks"
DEMO_RUNBOOKS = REPO / "demo" / "runbooks"


@pytest.fixture(scope="session")
def upstream() -> Path:
    """``content/runbooks`` of github.com/prometheus-operator/runbooks (see its SOURCES.md)."""
    root = FIXTURES / "content" / "runbooks"
    if not root.is_dir():
        pytest.skip(f"prometheus-operator runbook fixtures not found at {root.resolve()} (fresh clone)")
    return root
