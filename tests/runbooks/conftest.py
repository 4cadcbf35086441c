"""Fixtures of the runbook tests: the real prometheus-operator runbooks (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.runbooks import UPSTREAM


@pytest.fixture(scope="session")
def upstream() -> Path:
    """``content/runbooks`` of github.com/prometheus-operator/runbooks (see its SOURCES.md)."""
    root = UPSTREAM / "content" / "runbooks"
    if not root.is_dir():
        pytest.skip(f"prometheus-operator runbook fixtures not found at {root.resolve()} (fresh clone)")
    return root
