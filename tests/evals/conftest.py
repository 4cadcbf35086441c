"""The eval tests run with "today" pinned to the demo organisation's day, like the eval runner."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _pinned_today(demo_today):
    """Every eval test runs on the demo organisation's day."""
